import Foundation

/// How a forecaster produces `H` future values.
public enum ForecastStrategy: String, Codable, CaseIterable, Sendable {
    /// One output per future step, all at once (multi-output).
    case direct
    /// One step ahead, fed back `H` times.
    case recursive
}

/// The hyper-parameters of a ``Forecaster`` and the transform fitted on its
/// training series, stored in its checkpoints.
public struct ForecasterConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// The recurrent cell.
    public var cell: CellKind
    /// `H`, the hidden size.
    public var hiddenSize: Int
    /// `L`, the number of stacked layers.
    public var layers: Int
    /// Dropout between layers and on the final features.
    public var dropout: Float
    /// `W`: past values the network reads.
    public var window: Int
    /// `H`: future values it forecasts.
    public var horizon: Int
    /// How the horizon is predicted: all steps at once, or one step fed back.
    public var strategy: ForecastStrategy
    /// The training loss, MSE or MAE.
    public var loss: RegressionLoss
    /// Model `log(y)` instead of `y` (every value must be positive).
    public var logTransform: Bool
    /// Model `x_t - x_{t-lag}` (0: no differencing; 12 removes a yearly season of monthly data).
    public var difference: Int
    /// The seasonal period for MASE and the seasonal-naive baseline (1: none).
    public var season: Int
    /// Standardisation of the transformed training series.
    public var scaling: ChannelScaling
    /// The CSV column it was trained on (a header name, or a 1-based number), read by
    /// default when it forecasts; nil in checkpoints written before it was recorded.
    public var column: String? = nil

    /// A configuration with these settings.
    public init(cell: CellKind, hiddenSize: Int, layers: Int, dropout: Float, window: Int, horizon: Int, strategy: ForecastStrategy,
                loss: RegressionLoss, logTransform: Bool, difference: Int, season: Int, scaling: ChannelScaling) {
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.window = window
        self.horizon = horizon
        self.strategy = strategy
        self.loss = loss
        self.logTransform = logTransform
        self.difference = difference
        self.season = season
        self.scaling = scaling
    }

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        ParameterCount.sum([ParameterCount.recurrent(cell: cell, inputSize: 1, hiddenSize: hiddenSize, layers: layers, bidirectional: false),
                            ParameterCount.linear(inputSize: hiddenSize, outputSize: outputs)])
    }

    /// Values per prediction: `H` for direct, 1 for recursive.
    public var outputs: Int { strategy == .direct ? horizon : 1 }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if hiddenSize < 1 || layers < 1 || window < 1 || horizon < 1 || season < 1 || difference < 0 {
            throw .unmetRule(setting: "sizes", expected: "must be positive")
        }
        if [window, horizon, season, difference].contains(where: { $0 > 10_000_000 }) {
            throw .unmetRule(setting: "window, horizon, season and difference", expected: "must be at most 10,000,000")
        }
        if scaling.channels != 1 || scaling.std.count != 1 || !(scaling.std[0] > 0) || !scaling.std[0].isFinite || !scaling.mean[0].isFinite {
            throw .unmetRule(setting: "the scaling", expected: "needs one finite mean and a positive std")
        }
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
    }
}

/// Many-to-one forecasting of one series: the last `W` values, transformed
/// (optional log, optional differencing, standardisation), are read by the
/// shared ``PooledRecurrentStack`` (an LSTM/GRU, final state, linear) which
/// predicts the next `H` transformed values (direct) or the next one
/// (recursive); the loss is MSE or MAE. Parameter names: `rnn.*`, `head.*`.
public final class Forecaster: Layer {
    /// The checkpoint `kind` of a forecaster.
    public static let kind = "forecaster"

    /// The hyper-parameters it was built with, with the series' scaling.
    public let config: ForecasterConfig
    /// The recurrent stack, last-state pooling and output layer.
    public let core: PooledRecurrentStack

    /// A forecaster with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``ForecasterConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: ForecasterConfig, rng: inout SeededRNG) {
        config.preconditionValid("Forecaster")
        self.config = config
        core = PooledRecurrentStack(cell: config.cell, inputSize: 1, hiddenSize: config.hiddenSize, layers: config.layers,
                                    bidirectional: false, dropout: config.dropout, pooling: .last, outputs: config.outputs, rng: &rng)
    }

    /// `rnn.*` and `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] { core.namedParameters }
    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    // MARK: - The series transform and its inverse

    /// `log` (when configured) and differencing at `lag`: the series the network
    /// models, before scaling (`y.count - lag` values). A value that cannot be
    /// logged is an error naming `path` and its line (`firstLine` is the line of `y[0]`).
    public static func transform(_ y: [Float], logTransform: Bool, difference lag: Int, path: String, firstLine: Int) throws -> [Float] {
        var x = y
        if logTransform {
            for (i, v) in y.enumerated() where !(v > 0) {
                throw DataError.malformed(path: path, line: firstLine + i, expected: "a positive value (the model takes its log)", found: "\(v)")
            }
            x = y.map { Foundation.log($0) }
        }
        guard lag > 0 else { return x }
        return x.count > lag ? (lag..<x.count).map { x[$0] - x[$0 - lag] } : []
    }

    /// Forecasts the `H` values after the end of `history` (original units).
    /// `history` needs at least `window + difference` values.
    public func forecast(_ history: [Float], path: String, firstLine: Int = 1) throws -> [Float] {
        let c = config, needed = c.window + c.difference
        guard history.count >= needed else {
            throw DataError.malformed(path: path, line: firstLine + history.count - 1,
                                      expected: "a series of at least \(needed) values (the window \(c.window) + differencing lag \(c.difference))",
                                      found: "\(history.count) values")
        }
        let z = try Self.transform(history, logTransform: c.logTransform, difference: c.difference, path: path, firstLine: firstLine)
        let (mean, std) = (c.scaling.mean[0], c.scaling.std[0])
        var s = z.suffix(c.window).map { ($0 - mean) / std }
        var predicted: [Float] = []
        var rng = SeededRNG(seed: 0)
        while predicted.count < c.horizon {
            let out = loss([Array(s.suffix(c.window))], rng: &rng).outputs.scalars
            predicted += out
            s += out
        }
        // Undo the scaling, the differencing and the log.
        var x = c.logTransform ? history.map { Foundation.log($0) } : history
        for v in predicted.prefix(c.horizon) {
            let dz = v * std + mean
            x.append(c.difference > 0 ? x[x.count - c.difference] + dz : dz)
        }
        let future = x.suffix(c.horizon)
        return c.logTransform ? future.map { Foundation.exp($0) } : Array(future)
    }

    /// The outputs `[B, O]` (in `outputs`) for windows of `W` scaled values; with
    /// `targets` (`O` values each), also the loss (the mean over the `B * O`
    /// values), and in training the gradients are added into the parameters.
    public func loss(_ windows: [[Float]], targets: [[Float]]? = nil, training: Bool = false,
                     rng: inout SeededRNG) -> BatchLoss<Tensor> {
        let B = windows.count, W = config.window
        var x = Tensor.zeros([W, B, 1])
        for (b, w) in windows.enumerated() { for t in 0..<W { x.scalars[t * B + b] = w[t] } }
        let loss = targets.map { t in { (out: Tensor) -> (loss: Double, gradient: Tensor) in
            let r = self.config.loss.lossAndGradient(predictions: out, targets: Tensor(shape: out.shape, scalars: t.flatMap { $0 }))
            return (Double(r.loss), r.gradient)
        } }
        let r = core.run(x, lengths: [Int](repeating: W, count: B), training: training, rng: &rng, loss: loss)
        return BatchLoss(loss: r.loss, count: targets.map { _ in r.output.count } ?? 0, outputs: r.output)
    }

    // MARK: - Checkpoints

    /// The forecaster a checkpoint holds.
    /// - Throws: ``CheckpointError`` when it holds another kind of model, a bad configuration, or tensors that do not match.
    public convenience init(checkpoint: Checkpoint) throws {
        var rng = SeededRNG(seed: 0)
        self.init(config: try checkpoint.checkedConfig(kind: Self.kind, ForecasterConfig.self), rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
