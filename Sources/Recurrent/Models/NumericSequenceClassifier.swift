/// The hyper-parameters of a ``NumericSequenceClassifier``, stored in its
/// checkpoints together with the scaling fitted on the training data.
public struct NumericClassifierConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// The recurrent cell.
    public var cell: CellKind
    /// `H`, the hidden size per direction.
    public var hiddenSize: Int
    /// `L`, the number of stacked layers.
    public var layers: Int
    /// Whether the stack also reads each sequence backwards.
    public var bidirectional: Bool
    /// Dropout between layers and on the pooled features (the input has its own, `inputDropout`).
    public var dropout: Float
    /// How the outputs of a sequence become one feature vector.
    public var pooling: Pooling
    /// Class names in id order.
    public var labels: [String]
    /// Per-channel standardisation fitted on the training set (`F` channels).
    public var scaling: ChannelScaling
    /// How missing values are filled or masked.
    public var missing: MissingValues
    /// Consecutive steps grouped into one recurrent step (1: none).
    public var patch: Int
    /// Dropout on the scaled input values in training (0: none).
    public var inputDropout: Float
    /// The standard deviation of Gaussian noise added to the scaled input values in training (0: none).
    public var inputNoise: Float

    /// A configuration with these settings.
    public init(cell: CellKind, hiddenSize: Int, layers: Int, bidirectional: Bool, dropout: Float, pooling: Pooling,
                labels: [String], scaling: ChannelScaling, missing: MissingValues, patch: Int = 1, inputDropout: Float = 0, inputNoise: Float = 0) {
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.labels = labels
        self.scaling = scaling
        self.missing = missing
        self.patch = patch
        self.inputDropout = inputDropout
        self.inputNoise = inputNoise
    }

    /// The largest patch accepted (a checkpoint's configuration is checked against it).
    public static let maximumPatch = 10_000

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        ParameterCount.sum([ParameterCount.recurrent(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional),
                            ParameterCount.product(bidirectional ? 2 : 1, hiddenSize).flatMap { ParameterCount.linear(inputSize: $0, outputSize: labels.count) }])
    }

    /// `I`, the size of one recurrent input step.
    public var inputSize: Int { scaling.inputSize(missing: missing, patch: patch) }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if hiddenSize < 1 || layers < 1 || patch < 1 || scaling.channels < 1 { throw .unmetRule(setting: "sizes", expected: "must be positive") }
        if patch > Self.maximumPatch { throw .invalidValue(setting: "patch", value: "\(patch)", expected: "must lie in 1...\(Self.maximumPatch)") }
        if scaling.std.count != scaling.channels || !scaling.std.allSatisfy({ $0 > 0 && $0.isFinite }) || !scaling.mean.allSatisfy(\.isFinite) {
            throw .unmetRule(setting: "the scaling", expected: "needs a finite mean and a positive std per channel")
        }
        try validateClassifierLabels(labels)
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
        if !(inputDropout >= 0 && inputDropout < 1) {
            throw .invalidValue(setting: "input dropout", value: "\(inputDropout)", expected: "must lie in [0, 1)")
        }
        if !(inputNoise >= 0 && inputNoise.isFinite) {
            throw .invalidValue(setting: "input noise", value: "\(inputNoise)", expected: "must be a finite std >= 0")
        }
    }
}

/// Many-to-one over numeric sequences (sensor traces, speech features):
/// per-channel standardisation (and missing-value filling or masking) ->
/// input noise and dropout in training -> the shared ``PooledRecurrentStack`` (stacked (bi)RNN/LSTM/GRU, pooling,
/// dropout, linear) -> softmax. No embedding: each step's values are the
/// recurrent input `[T, B, I]`. Parameter names: `rnn.*`, `head.*`.
public final class NumericSequenceClassifier: ClassifierModel {
    /// The checkpoint `kind` of a numeric sequence classifier.
    public static let kind = "numeric_sequence_classifier"
    /// The configuration type.
    public typealias Config = NumericClassifierConfig

    /// The hyper-parameters it was built with, with the input scaling.
    public let config: NumericClassifierConfig
    /// The recurrent stack, pooling and output layer.
    public let core: PooledRecurrentStack
    let inputDropout: Dropout

    /// A classifier with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``NumericClassifierConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: NumericClassifierConfig, rng: inout SeededRNG) {
        config.preconditionValid("NumericSequenceClassifier")
        self.config = config
        core = PooledRecurrentStack(cell: config.cell, inputSize: config.inputSize, hiddenSize: config.hiddenSize, layers: config.layers,
                                    bidirectional: config.bidirectional, dropout: config.dropout, pooling: config.pooling,
                                    outputs: config.labels.count, rng: &rng)
        inputDropout = Dropout(probability: config.inputDropout)
    }

    /// `rnn.*` and `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] { core.namedParameters }
    /// Class names in id order.
    public var labels: [String] { config.labels }
    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }
    /// None: the model reads numbers.
    public var checkpointVocabulary: [String]? { nil }
    /// The number of steps of `input`.
    public func length(of input: EncodedSeries) -> Int { input.length }

    /// Scales one case as in training (a wrong channel count or a refused missing value is an error naming its file and line).
    public func encode(_ c: TimeSeriesCase) throws -> EncodedSeries {
        try config.scaling.encode(c, missing: config.missing, patch: config.patch)
    }

    /// Encodes labelled cases; a label the model does not know is an error naming the file and line.
    public func encode(labeled cases: [TimeSeriesCase]) throws -> LabeledInputs<EncodedSeries> {
        LabeledInputs(sequences: try cases.map(encode), labels: try labelIDs(cases.map { ($0.label, $0.path, $0.line) }))
    }

    /// The logits `[B, C]` (in `outputs`) for a batch; with `targets`, also the
    /// mean loss over the `B` examples, and in training the gradients are added
    /// into the parameters.
    public func loss(_ batch: [EncodedSeries], targets: [Int]? = nil, training: Bool = false,
                     rng: inout SeededRNG) -> BatchLoss<Tensor> {
        var (x, lengths) = padTimeMajor(batch, inputSize: config.inputSize)
        if training && config.inputNoise > 0 {
            for i in 0..<x.count { x.scalars[i] += config.inputNoise * rng.nextNormal() }
        }
        let input = inputDropout.forward(x, training: training, rng: &rng).output     // no gradient needed for the data
        let r = core.run(input, lengths: lengths, training: training, rng: &rng, loss: PooledRecurrentStack.crossEntropy(targets))
        return BatchLoss(loss: r.loss, count: targets?.count ?? 0, outputs: r.output)
    }

    // MARK: - Checkpoints

    /// The classifier a checkpoint holds.
    /// - Throws: ``CheckpointError`` when it holds another kind of model, a bad configuration, or tensors that do not match.
    public convenience init(checkpoint: Checkpoint) throws {
        var rng = SeededRNG(seed: 0)
        self.init(config: try checkpoint.checkedConfig(kind: Self.kind, NumericClassifierConfig.self), rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
