/// Training a ``Forecaster`` on every window of one series: inputs `W`
/// consecutive scaled values, targets the next `O` (shuffled batches).
public final class ForecastTask: TrainingTask {
    /// The forecaster trained.
    public let model: Forecaster
    /// The transformed, scaled training series.
    public let series: [Float]
    let batcher: LengthBatcher
    var batches: [[Int]] = []

    /// `series` is the transformed, scaled training series; it yields
    /// `series.count - W - O + 1` windows.
    public init(model: Forecaster, series: [Float], batch: Int) {
        self.model = model
        self.series = series
        let count = max(0, series.count - model.config.window - model.config.outputs + 1)
        batcher = LengthBatcher(lengths: [Int](repeating: model.config.window, count: count), batchSize: batch)
    }

    /// The number of training windows.
    public var windowCount: Int { batcher.lengths.count }
    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { batcher.batchCount }
    /// What one counted item is: "windows".
    public var unit: String { "windows" }
    /// False: the task trains on the whole series it was given, without validation.
    public var hasValidationData: Bool { false }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) { (Forecaster.kind, model.configJSON, nil) }

    /// Shuffles the batches of epoch `epoch` (deterministic in `seed` and the epoch).
    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        let W = model.config.window, O = model.config.outputs
        let indices = batches[index]
        let r = model.loss(indices.map { Array(series[$0..<($0 + W)]) }, targets: indices.map { Array(series[($0 + W)..<($0 + W + O)]) },
                          training: true, rng: &rng)
        return BatchLoss(loss: r.loss, count: indices.count)
    }

    /// Nil: the task has no validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? { nil }
}
