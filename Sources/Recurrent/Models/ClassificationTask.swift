import Foundation

/// Why labelled data cannot be used with a model.
public struct LabelError: RecurrentError, Equatable {
    /// The message: the file and line, the label, and the labels the model knows.
    public let description: String
}

/// Encoded examples and their label ids.
public struct LabeledInputs<Input> {
    /// The encoded inputs, one per example.
    public var sequences: [Input]
    /// The label ids, one per example.
    public var labels: [Int]

    /// Examples `sequences` with label ids `labels` (the same count).
    public init(sequences: [Input], labels: [Int]) {
        self.sequences = sequences
        self.labels = labels
    }
}

extension LabeledInputs: Sendable where Input: Sendable {}

/// Encoded text examples: token ids and label ids.
public typealias EncodedExamples = LabeledInputs<[Int]>

extension SequenceClassifier {
    /// Encodes labelled texts; a label the model does not know is an error naming the file and line.
    public func encode(_ examples: [LabeledText]) throws -> EncodedExamples {
        EncodedExamples(sequences: examples.map { encode($0.text) }, labels: try labelIDs(examples.map { ($0.label, $0.path, $0.line) }))
    }
}

/// Splits examples into a training part and a held-out `fraction`, chosen by
/// `seed` and stratified by label (each label keeps its share; every label with
/// at least 2 examples gets at least one held-out example).
public func stratifiedSplit(_ examples: [LabeledText], fraction: Double, seed: UInt64) -> (train: [LabeledText], held: [LabeledText]) {
    stratifiedSplit(examples, label: \.label, fraction: fraction, seed: seed)
}

/// ``stratifiedSplit(_:fraction:seed:)`` for any labelled items.
public func stratifiedSplit<Item>(_ items: [Item], label: (Item) -> String?, fraction: Double, seed: UInt64) -> (train: [Item], held: [Item]) {
    var byLabel: [String: [Int]] = [:]
    for (i, e) in items.enumerated() { byLabel[label(e) ?? "", default: []].append(i) }
    var rng = SeededRNG(seed: seed)
    var held = Set<Int>()
    for label in byLabel.keys.sorted() {
        var idx = byLabel[label]!
        idx.shuffle(using: &rng)
        // At least one of each label held out, and at least one left to train on.
        let n = idx.count >= 2 ? min(idx.count - 1, max(1, Int((Double(idx.count) * fraction).rounded()))) : 0
        held.formUnion(idx.prefix(n))
    }
    return (items.indices.filter { !held.contains($0) }.map { items[$0] }, held.sorted().map { items[$0] })
}

/// Training any ``ClassifierModel`` (text or numeric) with length-bucketed, shuffled batches.
public final class ClassificationTask<Model: ClassifierModel>: TrainingTask {
    /// The classifier trained.
    public let model: Model
    /// The training examples.
    public let train: LabeledInputs<Model.Input>
    /// The validation examples; nil without any.
    public let valid: LabeledInputs<Model.Input>?
    let batcher: LengthBatcher
    var batches: [[Int]] = []
    /// Data-parallel: this rank's place among the ranks sharing each batch.
    var share: (rank: Int, size: Int)? = nil
    /// Given to the validation pass between batches: its progress, and a stop request (see ``PassControl``).
    public var passControl: PassControl?

    /// Trains `model` on `train` in length-bucketed batches of `batch`; an empty `valid` counts as none.
    public init(model: Model, train: LabeledInputs<Model.Input>, valid: LabeledInputs<Model.Input>?, batch: Int) {
        self.model = model
        self.train = train
        self.valid = valid.flatMap { $0.labels.isEmpty ? nil : $0 }
        batcher = LengthBatcher(lengths: train.sequences.map(model.length(of:)), batchSize: batch)
    }

    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { batcher.batchCount }
    /// What one counted item is: "examples".
    public var unit: String { "examples" }
    /// Whether there is validation data.
    public var hasValidationData: Bool { valid != nil }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (Model.kind, model.configJSON, model.checkpointVocabulary)
    }

    /// Shuffles the batches of epoch `epoch` (deterministic in `seed` and the epoch).
    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        let indices = share.map { batcher.share(of: batches[index], rank: $0.rank, size: $0.size) } ?? batches[index]
        guard !indices.isEmpty else { return BatchLoss(loss: 0, count: 0) }
        let r = model.loss(indices.map { train.sequences[$0] }, targets: indices.map { train.labels[$0] }, training: true, rng: &rng)
        return BatchLoss(loss: r.loss, count: indices.count)
    }

    /// Each batch is split among the ranks by tokens (``LengthBatcher/share(of:rank:size:)``).
    public func shard(rank: Int, size: Int) -> String? {
        share = (rank, size)
        return nil
    }

    /// The validation loss and metrics (accuracy and macro-F1), or nil without validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? {
        guard let valid else { return nil }
        let r = model.evaluate(valid, control: passControl)
        return (r.loss, ["accuracy": r.metrics.accuracy, "macro_f1": r.metrics.macroF1])
    }
}
