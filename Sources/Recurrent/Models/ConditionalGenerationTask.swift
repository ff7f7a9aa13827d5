import Foundation

extension ConditionInput {
    /// The conditions of the examples at `indices`, in that order.
    public func select(_ indices: [Int]) -> ConditionInput {
        switch self {
        case .none: return .none(count: indices.count)
        case let .labels(ids): return .labels(indices.map { ids[$0] })
        case let .features(z):
            let Z = z.shape[1]
            var rows = [Float]()
            rows.reserveCapacity(indices.count * Z)
            for i in indices { rows.append(contentsOf: z.scalars[(i * Z)..<((i + 1) * Z)]) }
            return .features(Tensor(shape: [indices.count, Z], scalars: rows))
        }
    }
}

/// Encoded examples for a ``ConditionalGenerator``: one condition and one token sequence (without markers) each.
public struct ConditionalExamples: Sendable {
    /// One condition per sequence.
    public var conditions: ConditionInput
    /// The token ids of each sequence (without `<eos>`).
    public var sequences: [[Int]]

    /// Sequences and their conditions (the same count).
    public init(conditions: ConditionInput, sequences: [[Int]]) {
        precondition(conditions.count == sequences.count, "ConditionalExamples: \(conditions.count) conditions for \(sequences.count) sequences")
        self.conditions = conditions
        self.sequences = sequences
    }

    /// The number of examples.
    public var count: Int { sequences.count }
}

extension ConditionalGenerator {
    /// The vocabulary for `texts` at `level`: `<eos>` first, then every token, most frequent first.
    public static func vocabulary(for texts: [String], level: TextLevel) -> Vocabulary {
        Vocabulary(counting: texts.lazy.flatMap { tokens($0, level: level) }, specials: [Vocabulary.endOfSentence])
    }

    /// Encodes labelled texts (the label is the condition; ignored by an
    /// unconditioned model). A label the model does not know, or a token not in
    /// its vocabulary, is an error naming the file and line.
    public func encode(_ examples: [LabeledText]) throws -> ConditionalExamples {
        var sequences: [[Int]] = [], labels: [Int] = []
        for e in examples {
            do { sequences.append(try encode(e.text)) } catch let error as DataError {
                throw DataError.malformed(path: e.path, line: e.line, expected: "text in the model's vocabulary", found: "\(error)")
            }
            guard config.source == .label else { continue }
            guard let label = e.label, let id = config.labels.firstIndex(of: label) else {
                throw LabelError(description: "\(e.path):\(e.line): unknown condition '\(e.label ?? "")'; the model knows \(config.labels.joined(separator: ", "))")
            }
            labels.append(id)
        }
        return ConditionalExamples(conditions: config.source == .label ? .labels(labels) : .none(count: sequences.count), sequences: sequences)
    }

    /// Mean loss per predicted token (each sequence's tokens and its end marker) over `data`, without dropout.
    /// `control` is told the progress and may stop the pass between batches (see ``PassControl``).
    public func evaluate(_ data: ConditionalExamples, batch: Int = 64, control: PassControl? = nil) -> (loss: Double, tokens: Int) {
        var rng = SeededRNG(seed: 0)
        var total = 0.0, count = 0
        let order = LengthBatcher(lengths: data.sequences.map(\.count), batchSize: batch).batches(epoch: 0, seed: 0, shuffle: false)
        control.forEach(order) { indices in
            let r = loss(data.conditions.select(indices), sequences: indices.map { data.sequences[$0] }, training: false, rng: &rng)
            total += r.loss * Double(r.count)
            count += r.count
        }
        return (count > 0 ? total / Double(count) : .nan, count)
    }
}

/// Teacher-forced training of a ``ConditionalGenerator`` with length-bucketed, shuffled batches.
public final class ConditionalGenerationTask: TrainingTask {
    /// The generator trained.
    public let model: ConditionalGenerator
    /// The training examples.
    public let train: ConditionalExamples
    /// The validation examples; nil without any.
    public let valid: ConditionalExamples?
    let batcher: LengthBatcher
    /// Given to the validation pass between batches: its progress, and a stop request (see ``PassControl``).
    public var passControl: PassControl?
    var batches: [[Int]] = []

    /// Trains `model` on `train` in length-bucketed batches of `batch`, teacher-forced.
    public init(model: ConditionalGenerator, train: ConditionalExamples, valid: ConditionalExamples?, batch: Int) {
        self.model = model
        self.train = train
        self.valid = valid.flatMap { $0.count > 0 ? $0 : nil }
        batcher = LengthBatcher(lengths: train.sequences.map(\.count), batchSize: batch)
    }

    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { batcher.batchCount }
    /// What one counted item is: "tokens".
    public var unit: String { "tokens" }
    /// Whether there is validation data.
    public var hasValidationData: Bool { valid != nil }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (ConditionalGenerator.kind, model.configJSON, model.vocabulary.tokens)
    }

    /// Shuffles the batches of epoch `epoch` (deterministic in `seed` and the epoch).
    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        let indices = batches[index]
        let r = model.loss(train.conditions.select(indices), sequences: indices.map { train.sequences[$0] }, training: true, rng: &rng)
        return BatchLoss(loss: r.loss, count: r.count)
    }

    /// The validation loss and metrics (perplexity), or nil without validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? {
        guard let valid else { return nil }
        let r = model.evaluate(valid, control: passControl)
        return (r.loss, ["perplexity": exp(r.loss)])
    }
}
