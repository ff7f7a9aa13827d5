import Foundation

/// Where a ``ConditionalGenerator``'s condition comes from.
public enum ConditionSource: String, Codable, CaseIterable, Sendable {
    /// No condition: the same decoder from a zero state (the unconditioned baseline).
    case none
    /// A class label, looked up in the model's own condition embedding.
    case label
    /// A feature vector of `conditionSize` numbers read from a file (an image's features, say).
    case features
}

/// The hyper-parameters of a ``ConditionalGenerator``, stored in its checkpoints.
public struct ConditionalGeneratorConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// Characters or words: how text becomes tokens.
    public var level: TextLevel
    /// The recurrent cell.
    public var cell: CellKind
    /// `V`, the number of tokens (`<eos>` included).
    public var vocabularySize: Int
    /// `E`, the size of each token's vector.
    public var embeddingSize: Int
    /// `H`, the hidden size of every layer.
    public var hiddenSize: Int
    /// `L`, the number of stacked layers.
    public var layers: Int
    /// Dropout on the embedded input, between layers and on the top layer's output.
    public var dropout: Float
    /// Where the condition comes from.
    public var source: ConditionSource
    /// `Z`: the label embedding's size, or the feature width; 0 for `.none`.
    public var conditionSize: Int
    /// Class names in id order (`.label` only).
    public var labels: [String]
    /// Whether the condition is also appended to every step's input (else it only sets the initial state).
    public var feedEveryStep: Bool

    /// A configuration with these settings.
    public init(level: TextLevel, cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int,
                dropout: Float, source: ConditionSource, conditionSize: Int, labels: [String], feedEveryStep: Bool) {
        self.level = level
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.source = source
        self.conditionSize = conditionSize
        self.labels = labels
        self.feedEveryStep = feedEveryStep
    }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if vocabularySize < 2 { throw .unmetRule(setting: "vocabulary size", expected: "must be at least 2 (the end marker and one token)") }
        if embeddingSize < 1 || hiddenSize < 1 || layers < 1 {
            throw .unmetRule(setting: "embedding, hidden size and layers", expected: "must be at least 1")
        }
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
        switch source {
        case .none:
            if conditionSize != 0 || !labels.isEmpty || feedEveryStep {
                throw .unmetRule(setting: "an unconditioned generator", expected: "has no condition size, labels or per-step feed")
            }
        case .label:
            if conditionSize < 1 { throw .unmetRule(setting: "the label embedding size", expected: "must be at least 1") }
            if labels.isEmpty { throw .unmetRule(setting: "a label-conditioned generator", expected: "needs at least one label") }
            if Set(labels).count != labels.count { throw .unmetRule(setting: "labels", expected: "must be distinct") }
        case .features:
            if conditionSize < 1 { throw .unmetRule(setting: "the feature width", expected: "must be at least 1") }
            if !labels.isEmpty { throw .unmetRule(setting: "a feature-conditioned generator", expected: "has no labels") }
        }
    }

    /// The number of parameters the configuration describes, or nil when it overflows.
    public var parameterCount: Int? {
        let S = cell.hasCellState ? 2 : 1
        return ParameterCount.sum([
            source == .label ? ParameterCount.embedding(vocabularySize: labels.count, embeddingSize: conditionSize) : 0,
            source == .none ? 0 : ParameterCount.product(S, layers, hiddenSize).flatMap { ParameterCount.linear(inputSize: conditionSize, outputSize: $0) },
            ParameterCount.embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize),
            ParameterCount.sum([embeddingSize, feedEveryStep ? conditionSize : 0]).flatMap {
                ParameterCount.recurrent(cell: cell, inputSize: $0, hiddenSize: hiddenSize, layers: layers, bidirectional: false)
            },
            ParameterCount.linear(inputSize: hiddenSize, outputSize: vocabularySize)])
    }

    /// The input width of the recurrent stack: `E`, plus `Z` when fed at every step.
    public var inputSize: Int { embeddingSize + (feedEveryStep ? conditionSize : 0) }
}

/// The conditions of a batch, one per sequence.
public enum ConditionInput: Sendable {
    /// No conditions, for a batch of `count` sequences.
    case none(count: Int)
    /// Label ids, one per sequence.
    case labels([Int])
    /// Feature rows, `[B, Z]`.
    case features(Tensor)

    /// `B`, the number of conditions.
    public var count: Int {
        switch self {
        case let .none(count): return count
        case let .labels(ids): return ids.count
        case let .features(z): return z.shape[0]
        }
    }
}

/// One-to-many: a sequence generated from one input, the captioning shape
/// (Vinyals et al. 2015) and the "names by language" model.
///
/// The condition `z` (`[B, Z]`: a label's row of `condition`, or a feature
/// vector) sets the initial state through a ``StateBridge``
/// (`h_0, c_0 = tanh(W z + b)`) and, with `feedEveryStep`, is appended to
/// every step's input. The decoder reads `<eos> x_1 ... x_n` and is trained
/// with teacher forcing to predict `x_1 ... x_n <eos>`:
///
///     e_t = embedding(x_{t-1})                  [T, B, E]
///     h_t = RNN([e_t; z], h_{t-1})             [T, B, H]   (z only when fed every step)
///     p_t = softmax(head(h_t))                  [T, B, V]
///
/// Parameter names match Scripts/torch_models.py's `ConditionalGenerator`:
/// `condition.weight` (labels), `bridge.weight`, `bridge.bias`,
/// `embedding.weight`, `rnn.*`, `head.*`.
public final class ConditionalGenerator: Layer {
    /// The checkpoint `kind` of a conditional generator.
    public static let kind = "conditional_generator"

    /// The hyper-parameters it was built with.
    public let config: ConditionalGeneratorConfig
    /// The tokens; id 0 is `<eos>`, the start and end marker.
    public let vocabulary: Vocabulary
    /// `[K, Z]`: one vector per label (`.label` only).
    public let condition: Embedding?
    /// Condition -> initial state (nil for `.none`).
    public let bridge: StateBridge?
    /// The token embedding `[V, E]` (`embedding.weight`).
    public let embedding: Embedding
    /// The decoder stack, `E (+ Z) -> H` (`rnn.*`, PyTorch's names).
    public let rnn: RecurrentLayer
    /// The output layer, `[N, H]` to logits `[N, V]`.
    public let head: Linear
    let dropout: Dropout

    /// The id of `<eos>`, which starts every input and ends every target.
    public static let endID = 0

    /// A generator with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``ConditionalGeneratorConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: ConditionalGeneratorConfig, vocabulary: Vocabulary, rng: inout SeededRNG) {
        config.preconditionValid("ConditionalGenerator")
        precondition(vocabulary.count == config.vocabularySize && vocabulary.id(Vocabulary.endOfSentence) == Self.endID,
                     "ConditionalGenerator: the vocabulary must have \(config.vocabularySize) tokens, <eos> first")
        self.config = config
        self.vocabulary = vocabulary
        let Z = config.conditionSize
        condition = config.source == .label ? Embedding(vocabularySize: config.labels.count, embeddingSize: Z, rng: &rng) : nil
        bridge = config.source == .none ? nil
            : StateBridge(conditionSize: Z, layers: config.layers, hiddenSize: config.hiddenSize, hasCellState: config.cell.hasCellState, rng: &rng)
        embedding = Embedding(vocabularySize: config.vocabularySize, embeddingSize: config.embeddingSize, rng: &rng)
        rnn = RecurrentLayer(cell: config.cell, inputSize: config.inputSize, hiddenSize: config.hiddenSize,
                             layers: config.layers, dropout: config.dropout, rng: &rng)
        head = Linear(inputSize: config.hiddenSize, outputSize: config.vocabularySize, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    /// `condition.weight`, `bridge.*`, `embedding.weight`, `rnn.*`, `head.*`: Scripts/torch_models.py's names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        (condition.map { prefixed("condition", $0) } ?? []) + (bridge.map { prefixed("bridge", $0) } ?? [])
            + prefixed("embedding", embedding) + prefixed("rnn", rnn) + prefixed("head", head)
    }

    /// The condition vectors `z` (`[B, Z]`) of a batch, and the lookup's trace for labels.
    func conditionVectors(_ input: ConditionInput) -> (z: Tensor?, trace: Embedding.Trace?) {
        switch (input, condition) {
        case let (.labels(ids), condition?):
            let r = condition.forward(ids: ids, shape: [ids.count])
            return (r.output, r.trace)
        case let (.features(z), _):
            precondition(config.source == .features && z.rank == 2 && z.shape[1] == config.conditionSize,
                         "ConditionalGenerator expects features of [B, \(config.conditionSize)], got \(z.shape)")
            return (z, nil)
        case (.none, _):
            precondition(config.source == .none, "ConditionalGenerator(\(config.source)): a batch without conditions")
            return (nil, nil)
        default:
            preconditionFailure("ConditionalGenerator(\(config.source)): conditions of the wrong kind")
        }
    }

    /// Teacher-forced inputs `[T, B]` (`<eos>` then the tokens), targets (the tokens
    /// then `<eos>`, -100 on padding) and lengths `n + 1` for token sequences without markers.
    static func teacherForcing(_ sequences: [[Int]]) -> (inputs: [Int], targets: [Int], T: Int, lengths: [Int]) {
        let B = sequences.count, T = (sequences.map(\.count).max() ?? 0) + 1
        var inputs = [Int](repeating: endID, count: T * B), targets = [Int](repeating: -100, count: T * B)
        for (b, s) in sequences.enumerated() {
            for (t, id) in s.enumerated() {
                inputs[(t + 1) * B + b] = id
                targets[t * B + b] = id
            }
            targets[s.count * B + b] = endID
        }
        return (inputs, targets, T, sequences.map { $0.count + 1 })
    }

    /// Mean cross-entropy per predicted token (each sequence's tokens and its
    /// `<eos>`) of `sequences` given their conditions. With `training`, dropout
    /// is applied and gradients are added into every parameter.
    ///
    /// - Returns: the mean loss, the number of predicted tokens, and in `outputs` the logits `[T*B, V]` (row `t*B + b`).
    public func loss(_ input: ConditionInput, sequences: [[Int]], training: Bool,
                     rng: inout SeededRNG) -> BatchLoss<Tensor> {
        precondition(input.count == sequences.count, "ConditionalGenerator: \(input.count) conditions for \(sequences.count) sequences")
        let (inputs, targets, T, lengths) = Self.teacherForcing(sequences)
        let B = sequences.count, H = config.hiddenSize, Z = config.conditionSize
        let (z, zTrace) = conditionVectors(input)
        let initial = z.flatMap { z in bridge.map { $0.forward(z) } }
        let e = embedding.forward(ids: inputs, shape: [T, B])
        let d1 = dropout.forward(e.output, training: training, rng: &rng)
        let x = config.feedEveryStep ? ConditionConcat.forward(d1.output, z!) : d1.output
        let r = rnn.forward(x, lengths: lengths, initial: initial?.state, training: training, rng: &rng)
        let d2 = dropout.forward(r.output, training: training, rng: &rng)
        let out = head.forward(d2.output.reshaped([T * B, H]))
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
        if training {
            let dFeatures = head.backward(out.trace, gradOutput: ce.gradient)
            let dOut = dropout.backward(d2.trace, gradOutput: dFeatures.reshaped([T, B, H]))
            let g = rnn.backward(r.trace, gradOutput: dOut)
            var dEmbedded = g.gradInput
            var dz: Tensor? = nil
            if config.feedEveryStep {
                let split = ConditionConcat.backward(g.gradInput, conditionSize: Z)
                dEmbedded = split.dx
                dz = split.dz
            }
            embedding.backward(e.trace, gradOutput: dropout.backward(d1.trace, gradOutput: dEmbedded))
            if let bridge, let initial {
                let dzBridge = bridge.backward(initial.trace, gradInitial: g.gradInitial)
                if dz == nil { dz = dzBridge } else { for i in 0..<dzBridge.count { dz!.scalars[i] += dzBridge.scalars[i] } }
            }
            if let condition, let zTrace, let dz { condition.backward(zTrace, gradOutput: dz) }
        }
        return BatchLoss(loss: Double(ce.loss), count: ce.counted, outputs: out.output)
    }

    // MARK: - Text and conditions

    /// The tokens of `text` at the model's level (characters, or whitespace-separated words).
    public static func tokens(_ text: String, level: TextLevel) -> [String] {
        level == .char ? text.unicodeScalars.map { String($0) } : text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Encodes `text`; a token the vocabulary does not have is an error.
    public func encode(_ text: String) throws -> [Int] {
        try Self.tokens(text, level: config.level).map { token in
            guard let id = vocabulary.id(token), id != Self.endID else { throw DataError.unknownSymbol(text: text, symbol: token) }
            return id
        }
    }

    /// The text of generated ids.
    public func decode(_ ids: [Int]) -> String {
        ids.map { vocabulary.token($0) }.joined(separator: config.level == .char ? "" : " ")
    }

    /// The id of label `name`; an unknown one is an error listing the known labels.
    public func labelID(_ name: String) throws -> Int {
        guard config.source == .label else {
            throw LabelError(description: "this generator is conditioned on \(config.source == .none ? "nothing" : "feature vectors"), not on labels; \(config.source == .features ? "give --features and --row" : "drop --condition")")
        }
        guard let id = config.labels.firstIndex(of: name) else {
            throw LabelError(description: "unknown condition '\(name)'; the model knows \(config.labels.joined(separator: ", "))")
        }
        return id
    }

    // MARK: - Checkpoints

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    /// Writes the model (weights, config, vocabulary) to `path` atomically.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try Checkpoint.write(kind: Self.kind, config: configJSON, vocabulary: vocabulary.tokens, extra: extra,
                             tensors: namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
    }

    /// Rebuilds a model from a checkpoint written by ``save(to:extra:)`` or by `rnn train generate`.
    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(ConditionalGeneratorConfig.self)
        try checkpoint.validate(config)
        try checkpoint.requireParameterCount(config.parameterCount)
        guard let tokens = checkpoint.vocabulary, tokens.count == config.vocabularySize, tokens.first == Vocabulary.endOfSentence else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary",
                                              reason: "missing, not of the configured size, or not starting with <eos>")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, vocabulary: try checkpoint.vocabulary(tokens), rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
