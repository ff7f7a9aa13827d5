import Foundation

/// The hyper-parameters of a ``LanguageModel``, stored in its checkpoints.
public struct LanguageModelConfig: Codable, Equatable, Sendable {
    public var level: TextLevel
    public var cell: CellKind
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var dropout: Float

    public init(level: TextLevel, cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float) {
        self.level = level
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
    }

    /// Why the configuration cannot build a model, or nil.
    public var problem: String? {
        if vocabularySize < 1 { return "vocabulary size must be at least 1" }
        if embeddingSize < 1 || hiddenSize < 1 || layers < 1 { return "embedding, hidden size and layers must be at least 1" }
        if !(dropout >= 0 && dropout < 1) { return "dropout must lie in [0, 1)" }
        return nil
    }

    /// The model's parameter count, or nil when it overflows (check ``problem`` first).
    public var parameterCount: Int? {
        ParameterCount.sum([ParameterCount.embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize),
                            ParameterCount.recurrent(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, bidirectional: false),
                            ParameterCount.linear(inputSize: hiddenSize, outputSize: vocabularySize)])
    }
}

/// A next-token language model, the many-to-many shape of the seeds'
/// "hell" -> "ello": embedding -> dropout -> stacked RNN/LSTM/GRU (dropout
/// between layers) -> dropout -> linear -> softmax, as PyTorch's
/// word-language-model example builds it. Parameter names match the PyTorch
/// module with attributes `embedding`, `rnn` and `head` (Scripts/torch_models.py).
public final class LanguageModel: Layer {
    public static let kind = "language_model"

    public let config: LanguageModelConfig
    public let vocabulary: Vocabulary
    public let embedding: Embedding
    public let rnn: RecurrentLayer
    public let head: Linear
    let dropout: Dropout

    public init(config: LanguageModelConfig, vocabulary: Vocabulary, rng: inout SeededRNG) {
        precondition(config.problem == nil, "LanguageModel: \(config.problem ?? "")")
        precondition(vocabulary.count == config.vocabularySize,
                     "LanguageModel: vocabulary has \(vocabulary.count) tokens, config says \(config.vocabularySize)")
        self.config = config
        self.vocabulary = vocabulary
        embedding = Embedding(vocabularySize: config.vocabularySize, embeddingSize: config.embeddingSize, rng: &rng)
        rnn = RecurrentLayer(cell: config.cell, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize,
                             layers: config.layers, dropout: config.dropout, rng: &rng)
        head = Linear(inputSize: config.hiddenSize, outputSize: config.vocabularySize, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + prefixed("rnn", rnn) + prefixed("head", head)
    }

    /// Mean cross-entropy (nats per token) of predicting `targets` from `inputs`
    /// (both `[T, B]`, time-major), starting from `initial`. With `training`,
    /// dropout is applied and gradients are added into every parameter.
    ///
    /// `gradientsReady` is told the head's, each recurrent layer's (top first)
    /// and the embedding's parameters as backward finishes their gradients.
    ///
    /// - Returns: the mean loss, the number of tokens, and the final state (to carry to the next batch).
    public func loss(inputs: [Int], targets: [Int], T: Int, B: Int, initial: RecurrentState?,
                     training: Bool, rng: inout SeededRNG, gradientsReady: GradientsReady? = nil)
        -> (loss: Double, count: Int, final: RecurrentState) {
        let H = config.hiddenSize
        let e = embedding.forward(ids: inputs, shape: [T, B])
        let d1 = dropout.forward(e.output, training: training, rng: &rng)
        let r = rnn.forward(d1.output, initial: initial, training: training, rng: &rng)
        let d2 = dropout.forward(r.output, training: training, rng: &rng)
        let out = head.forward(d2.output.reshaped([T * B, H]))
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
        if training {
            let dFeatures = head.backward(out.trace, gradOutput: ce.gradient)
            // A weight the head shares with the embedding (tying) is not final until the embedding's backward.
            gradientsReady?(head.parameters.filter { p in !embedding.parameters.contains { $0 === p } })
            let dOut = dropout.backward(d2.trace, gradOutput: dFeatures.reshaped([T, B, H]))
            let dEmbedded = rnn.backward(r.trace, gradOutput: dOut, gradientsReady: gradientsReady).gradInput
            embedding.backward(e.trace, gradOutput: dropout.backward(d1.trace, gradOutput: dEmbedded))
            gradientsReady?(embedding.parameters)
        }
        return (Double(ce.loss), ce.counted, r.final)
    }

    /// The next-token logits `[T*B, V]` (row `t*B + b`) for `inputs` (`[T, B]`), without dropout.
    public func logits(inputs: [Int], T: Int, B: Int, initial: RecurrentState? = nil) -> (logits: Tensor, final: RecurrentState) {
        let e = embedding.forward(ids: inputs, shape: [T, B]).output
        let r = rnn.forward(e, initial: initial)
        return (head.forward(r.output.reshaped([T * B, config.hiddenSize])).output, r.final)
    }

    /// Mean loss over a whole stream, carrying the state across batches (no dropout).
    public func evaluate(_ stream: TokenStream) -> (loss: Double, tokens: Int) {
        var state: RecurrentState? = nil
        var total = 0.0, count = 0
        var unused = SeededRNG(seed: 0)
        for k in 0..<stream.batchCount {
            let b = stream.batch(k)
            let r = loss(inputs: b.inputs, targets: b.targets, T: b.T, B: stream.batchSize, initial: state,
                         training: false, rng: &unused)
            total += r.loss * Double(r.count)
            count += r.count
            state = r.final
        }
        return (count > 0 ? total / Double(count) : .nan, count)
    }

    // MARK: - Checkpoints

    /// Writes the model (weights, config, vocabulary) to `path` atomically.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try Checkpoint.write(kind: Self.kind, config: configJSON, vocabulary: vocabulary.tokens, extra: extra,
                             tensors: namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
    }

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    /// Rebuilds a model from a checkpoint written by ``save(to:extra:)`` (or by
    /// Scripts/torch_interop.py from a PyTorch model).
    public convenience init(checkpoint: Checkpoint, ignoringPrefixes: [String] = []) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(LanguageModelConfig.self)
        if let problem = config.problem {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "config", reason: problem)
        }
        try checkpoint.requireParameterCount(config.parameterCount, ignoringPrefixes: ignoringPrefixes)
        guard let tokens = checkpoint.vocabulary else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing")
        }
        guard tokens.count == config.vocabularySize else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary",
                                              reason: "has \(tokens.count) tokens, the config says \(config.vocabularySize)")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, vocabulary: try checkpoint.vocabulary(tokens), rng: &rng)
        try checkpoint.load(into: namedParameters, ignoringPrefixes: ignoringPrefixes)
    }

    /// Loads the model saved at `path`.
    public convenience init(contentsOf path: String) throws {
        try self.init(checkpoint: try Checkpoint.read(path))
    }
}
