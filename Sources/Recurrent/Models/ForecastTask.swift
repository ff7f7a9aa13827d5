/// Training a ``Forecaster`` on every window of one series: inputs `W`
/// consecutive scaled values, targets the next `O` (shuffled batches).
public final class ForecastTask: TrainingTask {
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
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    public var batchesPerEpoch: Int { batcher.batchCount }
    public var unit: String { "windows" }
    public var hasValidationData: Bool { false }
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) { (Forecaster.kind, model.configJSON, nil) }

    public func startEpoch(_ epoch: Int, seed: UInt64) { batches = batcher.batches(epoch: epoch, seed: seed) }

    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> (loss: Double, count: Int) {
        let W = model.config.window, O = model.config.outputs
        let indices = batches[index]
        let r = model.loss(indices.map { Array(series[$0..<($0 + W)]) }, targets: indices.map { Array(series[($0 + W)..<($0 + W + O)]) },
                          training: true, rng: &rng)
        return (r.loss, indices.count)
    }

    public func validate() -> (loss: Double, metrics: [String: Double])? { nil }
}
