import Foundation

/// Why labelled data cannot be used with a model.
public struct LabelError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// Encoded examples: token ids and label ids.
public struct EncodedExamples: Sendable {
    public var sequences: [[Int]]
    public var labels: [Int]
}

extension SequenceClassifier {
    /// Encodes labelled texts; a label the model does not know is an error naming the file and line.
    public func encode(_ examples: [LabeledText]) throws -> EncodedExamples {
        let ids = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { ($1, $0) })
        var out = EncodedExamples(sequences: [], labels: [])
        for e in examples {
            guard let label = e.label else {
                throw DataError.malformed(path: e.path, line: e.line, expected: "a label", found: "none")
            }
            guard let id = ids[label] else {
                throw LabelError(description: "\(e.path):\(e.line): label '\(label)' was not seen in training; the model knows \(config.labels.joined(separator: ", "))")
            }
            out.sequences.append(encode(e.text))
            out.labels.append(id)
        }
        return out
    }

    /// Accuracy, macro-F1 and the confusion matrix on `examples`, with the mean loss.
    public func evaluate(_ data: EncodedExamples, batch: Int = 64) -> (loss: Double, metrics: ClassificationMetrics) {
        var metrics = ClassificationMetrics(labels: config.labels)
        var rng = SeededRNG(seed: 0)
        var total = 0.0
        let order = LengthBatcher(lengths: data.sequences.map(\.count), batchSize: batch).batches(epoch: 0, seed: 0, shuffle: false)
        for indices in order {
            let r = run(indices.map { data.sequences[$0] }, targets: indices.map { data.labels[$0] }, rng: &rng)
            total += r.loss * Double(indices.count)
            for (b, i) in indices.enumerated() { metrics.add(truth: data.labels[i], predicted: r.logits.argmax(row: b)) }
        }
        return (total / Double(max(data.labels.count, 1)), metrics)
    }
}

/// Splits examples into a training part and a held-out `fraction`, chosen by
/// `seed` and stratified by label (each label keeps its share; every label with
/// at least 2 examples gets at least one held-out example).
public func stratifiedSplit(_ examples: [LabeledText], fraction: Double, seed: UInt64) -> (train: [LabeledText], held: [LabeledText]) {
    var byLabel: [String: [Int]] = [:]
    for (i, e) in examples.enumerated() { byLabel[e.label ?? "", default: []].append(i) }
    var rng = SeededRNG(seed: seed)
    var held = Set<Int>()
    for label in byLabel.keys.sorted() {
        var idx = byLabel[label]!
        idx.shuffle(using: &rng)
        let n = idx.count >= 2 ? max(1, Int((Double(idx.count) * fraction).rounded())) : 0
        held.formUnion(idx.prefix(n))
    }
    return (examples.indices.filter { !held.contains($0) }.map { examples[$0] }, held.sorted().map { examples[$0] })
}

/// Training a ``SequenceClassifier`` with length-bucketed, shuffled batches.
public final class ClassificationTask: TrainingTask {
    public let model: SequenceClassifier
    public let train: EncodedExamples
    public let valid: EncodedExamples?
    let batcher: LengthBatcher
    var batches: [[Int]] = []

    public init(model: SequenceClassifier, train: EncodedExamples, valid: EncodedExamples?, batch: Int) {
        self.model = model
        self.train = train
        self.valid = valid.flatMap { $0.labels.isEmpty ? nil : $0 }
        batcher = LengthBatcher(lengths: train.sequences.map(\.count), batchSize: batch)
    }

    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    public var batchesPerEpoch: Int { batcher.batchCount }
    public var unit: String { "examples" }
    public var hasValidationData: Bool { valid != nil }
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (SequenceClassifier.kind, model.configJSON, model.vocabulary.tokens)
    }

    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> (loss: Double, count: Int) {
        let indices = batches[index]
        let r = model.run(indices.map { train.sequences[$0] }, targets: indices.map { train.labels[$0] }, training: true, rng: &rng)
        return (r.loss, indices.count)
    }

    public func validate() -> (loss: Double, metrics: [String: Double])? {
        guard let valid else { return nil }
        let r = model.evaluate(valid)
        return (r.loss, ["accuracy": r.metrics.accuracy, "macro_f1": r.metrics.macroF1])
    }
}
