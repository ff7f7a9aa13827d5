import Foundation

/// How a classifier summarises the recurrent outputs of one sequence.
public enum Pooling: String, Codable, CaseIterable, Sendable {
    /// The final state: the top layer's `h` after the last real step (for a
    /// bidirectional stack, forward and reverse final states concatenated).
    case last
    /// The mean of the outputs over the real steps.
    case mean
    /// The element-wise maximum of the outputs over the real steps.
    case max
}

/// The hyper-parameters of a ``SequenceClassifier``, stored in its checkpoints.
public struct SequenceClassifierConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// How text becomes tokens.
    public var tokenizer: TextTokenizer
    /// Whether text is lowercased before tokenizing.
    public var lowercase: Bool
    /// The recurrent cell.
    public var cell: CellKind
    /// `V`, the number of tokens.
    public var vocabularySize: Int
    /// `E`, the size of each token's vector.
    public var embeddingSize: Int
    /// `H`, the hidden size per direction.
    public var hiddenSize: Int
    /// `L`, the number of stacked layers.
    public var layers: Int
    /// Whether the stack also reads each text backwards.
    public var bidirectional: Bool
    /// Dropout on the embedded input, between layers and on the pooled features.
    public var dropout: Float
    /// How the outputs of a sequence become one feature vector.
    public var pooling: Pooling
    /// Class names in id order.
    public var labels: [String]
    /// The byte-pair merges that cut words into pieces, with the ``TextTokenizer/bpe`` tokenizer (nil otherwise).
    public var subwords: BytePairEncoding?

    /// A configuration with these settings.
    public init(tokenizer: TextTokenizer, lowercase: Bool, cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int,
                layers: Int, bidirectional: Bool, dropout: Float, pooling: Pooling, labels: [String], subwords: BytePairEncoding? = nil) {
        self.tokenizer = tokenizer
        self.subwords = subwords
        self.lowercase = lowercase
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.labels = labels
    }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if vocabularySize < 2 || embeddingSize < 1 || hiddenSize < 1 || layers < 1 { throw .unmetRule(setting: "sizes", expected: "must be positive") }
        try validateClassifierLabels(labels)
        if (tokenizer == .bpe) != (subwords != nil) {
            throw .unmetRule(setting: "the bpe tokenizer", expected: "and it alone, comes with its byte-pair merges (subwords)")
        }
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
    }

    /// The tokens of `text` as the model reads them: ``tokenizer``'s, lowercased
    /// with ``lowercase``, and with ``TextTokenizer/bpe`` cut into the pieces of ``subwords``.
    public func tokens(_ text: String) -> [String] {
        let t = tokenizer.tokens(text, lowercase: lowercase)
        guard tokenizer == .bpe, let subwords else { return t }
        return subwords.pieces(t)
    }

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        ParameterCount.sum([ParameterCount.embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize),
                            ParameterCount.recurrent(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional),
                            ParameterCount.product(bidirectional ? 2 : 1, hiddenSize).flatMap { ParameterCount.linear(inputSize: $0, outputSize: labels.count) }])
    }
}

/// Many-to-one: the seeds' sentiment picture. embedding -> dropout -> stacked
/// (bi)RNN/LSTM/GRU over each sequence's real steps -> pooling -> dropout ->
/// linear -> softmax (the part after the embedding is the shared
/// ``PooledRecurrentStack``). Parameter names: `embedding.*`, `rnn.*`, `head.*`.
public final class SequenceClassifier: ClassifierModel {
    /// The checkpoint `kind` of a text classifier.
    public static let kind = "sequence_classifier"

    /// The hyper-parameters it was built with.
    public let config: SequenceClassifierConfig
    /// The tokens, `V` of them, in id order (`<pad>` and `<unk>` among them).
    public let vocabulary: Vocabulary
    /// The token embedding `[V, E]` (`embedding.weight`).
    public let embedding: Embedding
    /// The recurrent stack, pooling and output layer after the embedding.
    public let core: PooledRecurrentStack
    let dropout: Dropout

    /// The recurrent stack (`rnn.*`, PyTorch's names).
    public var rnn: RecurrentLayer { core.rnn }
    /// The output layer, pooled features `[B, D*H]` to logits `[B, C]`.
    public var head: Linear { core.head }
    /// Class names in id order.
    public var labels: [String] { config.labels }

    /// A classifier with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``SequenceClassifierConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: SequenceClassifierConfig, vocabulary: Vocabulary, rng: inout SeededRNG) {
        config.preconditionValid("SequenceClassifier")
        precondition(vocabulary.count == config.vocabularySize, "SequenceClassifier: vocabulary size differs from the config")
        self.config = config
        self.vocabulary = vocabulary
        embedding = Embedding(vocabularySize: config.vocabularySize, embeddingSize: config.embeddingSize, rng: &rng)
        core = PooledRecurrentStack(cell: config.cell, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize,
                                         layers: config.layers, bidirectional: config.bidirectional, dropout: config.dropout,
                                         pooling: config.pooling, outputs: config.labels.count, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    /// `embedding.weight`, then `rnn.*` and `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + core.namedParameters
    }

    /// The token ids of `text` (unknown tokens become `<unk>`; at least one token).
    public func encode(_ text: String) -> [Int] {
        let ids = config.tokens(text).map { vocabulary.idOrUnknown($0) ?? 0 }
        return ids.isEmpty ? [vocabulary.unknownID ?? 0] : ids
    }

    /// The number of steps of `sequence`, its token count.
    public func length(of sequence: [Int]) -> Int { sequence.count }

    /// The logits `[B, C]` (in `outputs`) for a batch of id sequences; with
    /// `targets`, also the mean loss over the `B` examples, and in training the
    /// gradients are added into the parameters.
    public func loss(_ sequences: [[Int]], targets: [Int]? = nil, training: Bool = false,
                     rng: inout SeededRNG) -> BatchLoss<Tensor> {
        let (ids, T, lengths) = Padding.timeMajor(sequences, padID: vocabulary.id(Vocabulary.padding) ?? 0)
        let e = embedding.forward(ids: ids, shape: [T, sequences.count])
        let d = dropout.forward(e.output, training: training, rng: &rng)
        let r = core.run(d.output, lengths: lengths, training: training, rng: &rng, loss: PooledRecurrentStack.crossEntropy(targets))
        if let dx = r.gradInput { embedding.backward(e.trace, gradOutput: dropout.backward(d.trace, gradOutput: dx)) }
        return BatchLoss(loss: r.loss, count: targets?.count ?? 0, outputs: r.output)
    }

    /// Class probabilities for each text.
    public func predict(_ texts: [String]) -> [[Float]] { probabilities(texts.map(encode)) }

    // MARK: - Checkpoints

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }
    /// The vocabulary's tokens, stored in checkpoints.
    public var checkpointVocabulary: [String]? { vocabulary.tokens }

    /// The classifier a checkpoint holds.
    /// - Throws: ``CheckpointError`` when it holds another kind of model, a bad configuration or vocabulary, or tensors that do not match.
    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(SequenceClassifierConfig.self)
        try checkpoint.validate(config)
        try checkpoint.requireParameterCount(config.parameterCount)
        guard let tokens = checkpoint.vocabulary, tokens.count == config.vocabularySize else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing or not of the configured size")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, vocabulary: try checkpoint.vocabulary(tokens), rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
