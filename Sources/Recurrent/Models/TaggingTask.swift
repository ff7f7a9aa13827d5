/// Per-token accuracy overall and per gold tag.
public struct TaggingMetrics: Sendable, Equatable {
    /// Tag names in id order.
    public let tags: [String]
    /// Words tagged correctly, per true tag.
    public private(set) var correct: [Int]
    /// Words counted, per true tag.
    public private(set) var total: [Int]

    /// Empty counts for the tags `tags`.
    public init(tags: [String]) {
        self.tags = tags
        correct = Array(repeating: 0, count: tags.count)
        total = correct
    }

    /// Counts one word of tag `truth` tagged `predicted` (both ids).
    public mutating func add(truth: Int, predicted: Int) {
        total[truth] += 1
        if truth == predicted { correct[truth] += 1 }
    }

    /// The fraction of words tagged correctly, in `[0, 1]` (0 when none were counted).
    public var accuracy: Double {
        let n = total.reduce(0, +)
        return n == 0 ? 0 : Double(correct.reduce(0, +)) / Double(n)
    }

    /// Lines of `tag  accuracy  (correct/total)`, most frequent tag first.
    public var table: String {
        tags.indices.filter { total[$0] > 0 }.sorted { total[$0] > total[$1] }.map { i in
            tags[i].padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: " %.4f  (%d/%d)", Double(correct[i]) / Double(total[i]), correct[i], total[i])
        }.joined(separator: "\n")
    }
}

extension SequenceTagger {
    /// Tag ids of each sentence; a tag the model does not know is an error naming the file and line.
    public func encodeTags(_ sentences: [TaggedSentence], path: String) throws -> [[Int]] {
        let ids = Dictionary(uniqueKeysWithValues: config.tags.enumerated().map { ($1, $0) })
        return try sentences.map { s in
            try s.tags.enumerated().map { k, tag in
                guard let id = ids[tag] else {
                    throw LabelError(description: "\(path):\(s.line + k): tag '\(tag)' was not seen in training; the model knows \(config.tags.joined(separator: " "))")
                }
                return id
            }
        }
    }

    /// Token accuracy (overall and per tag) and the mean loss over `sentences`.
    /// `control` is told the progress and may stop the pass between batches (see ``PassControl``).
    public func evaluate(_ sentences: [[String]], tags: [[Int]], batch: Int = 32, control: PassControl? = nil) -> (loss: Double, metrics: TaggingMetrics) {
        var metrics = TaggingMetrics(tags: config.tags)
        var rng = SeededRNG(seed: 0)
        var total = 0.0, count = 0
        let order = LengthBatcher(lengths: sentences.map(\.count), batchSize: batch).batches(epoch: 0, seed: 0, shuffle: false)
        control.forEach(order) { indices in
            let r = loss(indices.map { sentences[$0] }, targets: indices.map { tags[$0] }, rng: &rng)
            total += r.loss * Double(r.count)
            count += r.count
            let B = indices.count
            for (b, i) in indices.enumerated() {
                for (t, truth) in tags[i].enumerated() {
                    metrics.add(truth: truth, predicted: r.outputs.argmax(row: t * B + b))
                }
            }
        }
        return (total / Double(max(count, 1)), metrics)
    }
}

/// Training a ``SequenceTagger`` on sentences batched by length.
public final class TaggingTask: TrainingTask {
    /// The tagger trained.
    public let model: SequenceTagger
    let trainWords: [[String]], trainTags: [[Int]]
    let validWords: [[String]], validTags: [[Int]]
    /// Given to the validation pass between batches: its progress, and a stop request (see ``PassControl``).
    public var passControl: PassControl?
    let batcher: LengthBatcher
    var batches: [[Int]] = []
    /// Data-parallel: this rank's place among the ranks sharing each batch.
    var share: (rank: Int, size: Int)? = nil

    /// Trains `model` on `train` (sentences and their tag ids) in length-bucketed batches of `batch`.
    public init(model: SequenceTagger, train: ([[String]], [[Int]]), valid: ([[String]], [[Int]])?, batch: Int) {
        self.model = model
        (trainWords, trainTags) = train
        (validWords, validTags) = valid ?? ([], [])
        batcher = LengthBatcher(lengths: trainWords.map(\.count), batchSize: batch)
    }

    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { batcher.batchCount }
    /// What one counted item is: "words".
    public var unit: String { "words" }
    /// Whether there is validation data.
    public var hasValidationData: Bool { !validWords.isEmpty }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (SequenceTagger.kind, model.configJSON, model.checkpointVocabulary)
    }

    /// Shuffles the batches of epoch `epoch` (deterministic in `seed` and the epoch).
    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        let indices = share.map { batcher.share(of: batches[index], rank: $0.rank, size: $0.size) } ?? batches[index]
        guard !indices.isEmpty else { return BatchLoss(loss: 0, count: 0) }
        let r = model.loss(indices.map { trainWords[$0] }, targets: indices.map { trainTags[$0] }, training: true, rng: &rng)
        return BatchLoss(loss: r.loss, count: r.count)
    }

    /// Each batch is split among the ranks by words (``LengthBatcher/share(of:rank:size:)``).
    public func shard(rank: Int, size: Int) -> String? {
        share = (rank, size)
        return nil
    }

    /// The validation loss and metrics (token accuracy), or nil without validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? {
        guard hasValidationData else { return nil }
        let r = model.evaluate(validWords, tags: validTags, control: passControl)
        return (r.loss, ["accuracy": r.metrics.accuracy])
    }
}
