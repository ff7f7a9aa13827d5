import Foundation

/// The hyper-parameters of a ``SequenceTagger``, stored in its checkpoints.
public struct SequenceTaggerConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// The recurrent cell of the word-level stack.
    public var cell: CellKind
    /// Whether words are lowercased before lookup.
    public var lowercase: Bool
    /// The word vocabulary's size.
    public var wordVocabularySize: Int
    /// The size of each word vector.
    public var wordEmbeddingSize: Int
    /// The character vocabulary and encoder sizes; 0 disables the character encoder.
    public var charVocabularySize: Int
    /// The size of each character vector.
    public var charEmbeddingSize: Int
    /// The character BiLSTM's hidden size per direction; 0: no character encoder.
    public var charHiddenSize: Int
    /// `H`, the word-level stack's hidden size per direction.
    public var hiddenSize: Int
    /// `L`, the word-level stack's layers.
    public var layers: Int
    /// Dropout on each word's input, between layers and on the stack's output.
    public var dropout: Float
    /// Tag names in id order.
    public var tags: [String]
    /// The CoNLL-U column the tags come from.
    public var column: CoNLLU.TagColumn

    /// A configuration with these settings.
    public init(cell: CellKind, lowercase: Bool, wordVocabularySize: Int, wordEmbeddingSize: Int, charVocabularySize: Int,
                charEmbeddingSize: Int, charHiddenSize: Int, hiddenSize: Int, layers: Int, dropout: Float, tags: [String], column: CoNLLU.TagColumn = .upos) {
        self.cell = cell
        self.lowercase = lowercase
        self.wordVocabularySize = wordVocabularySize
        self.wordEmbeddingSize = wordEmbeddingSize
        self.charVocabularySize = charVocabularySize
        self.charEmbeddingSize = charEmbeddingSize
        self.charHiddenSize = charHiddenSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
        self.tags = tags
        self.column = column
    }

    /// Whether the model has a character encoder.
    public var usesCharacters: Bool { charHiddenSize > 0 }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if wordVocabularySize < 2 || wordEmbeddingSize < 1 || hiddenSize < 1 || layers < 1 { throw .unmetRule(setting: "sizes", expected: "must be positive") }
        if usesCharacters && (charVocabularySize < 2 || charEmbeddingSize < 1) {
            throw .unmetRule(setting: "character sizes", expected: "must be positive")
        }
        if tags.count < 2 || Set(tags).count != tags.count { throw .unmetRule(setting: "tags", expected: "must be at least 2 and distinct for a tagger") }
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
    }

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        let chars = ParameterCount.product(2, usesCharacters ? charHiddenSize : 0)
        let charPart: Int? = usesCharacters
            ? ParameterCount.sum([ParameterCount.embedding(vocabularySize: charVocabularySize, embeddingSize: charEmbeddingSize),
                                  ParameterCount.recurrent(cell: .lstm, inputSize: charEmbeddingSize, hiddenSize: charHiddenSize, layers: 1, bidirectional: true)])
            : 0
        let input = ParameterCount.sum([wordEmbeddingSize, chars])
        return ParameterCount.sum([ParameterCount.embedding(vocabularySize: wordVocabularySize, embeddingSize: wordEmbeddingSize), charPart,
                                   input.flatMap { ParameterCount.recurrent(cell: cell, inputSize: $0, hiddenSize: hiddenSize, layers: layers, bidirectional: true) },
                                   ParameterCount.product(2, hiddenSize).flatMap { ParameterCount.linear(inputSize: $0, outputSize: tags.count) }])
    }
}

/// Many-to-many, aligned: the seeds' part-of-speech picture. Each word is its
/// embedding, concatenated (optionally) with a character-level BiLSTM's final
/// states over its letters (so words never seen in training still get a
/// useful input) -> dropout -> stacked BiLSTM -> dropout -> linear per token.
/// Parameter names: `word_embedding.*`, `char_embedding.*`, `char_rnn.*`, `rnn.*`, `head.*`.
public final class SequenceTagger: Layer {
    /// The checkpoint `kind` of a sequence tagger.
    public static let kind = "sequence_tagger"

    /// The hyper-parameters it was built with.
    public let config: SequenceTaggerConfig
    /// The word vocabulary.
    public let words: Vocabulary
    /// The character vocabulary; nil without a character encoder.
    public let chars: Vocabulary?
    /// The word embedding (`word_embedding.weight`).
    public let wordEmbedding: Embedding
    /// The character embedding; nil without a character encoder.
    public let charEmbedding: Embedding?
    /// The character BiLSTM over each word's letters; nil without a character encoder.
    public let charRNN: RecurrentLayer?
    /// The word-level bidirectional stack.
    public let rnn: RecurrentLayer
    /// The output layer, `2H` to one logit per tag.
    public let head: Linear
    let dropout: Dropout

    /// A tagger with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``SequenceTaggerConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: SequenceTaggerConfig, words: Vocabulary, chars: Vocabulary?, rng: inout SeededRNG) {
        config.preconditionValid("SequenceTagger")
        precondition(words.count == config.wordVocabularySize, "SequenceTagger: word vocabulary size differs from the config")
        self.config = config
        self.words = words
        self.chars = config.usesCharacters ? chars : nil
        wordEmbedding = Embedding(vocabularySize: config.wordVocabularySize, embeddingSize: config.wordEmbeddingSize, rng: &rng)
        if config.usesCharacters {
            charEmbedding = Embedding(vocabularySize: config.charVocabularySize, embeddingSize: config.charEmbeddingSize, rng: &rng)
            charRNN = RecurrentLayer(cell: .lstm, inputSize: config.charEmbeddingSize, hiddenSize: config.charHiddenSize,
                                     bidirectional: true, rng: &rng)
        } else {
            charEmbedding = nil
            charRNN = nil
        }
        let input = config.wordEmbeddingSize + (config.usesCharacters ? 2 * config.charHiddenSize : 0)
        rnn = RecurrentLayer(cell: config.cell, inputSize: input, hiddenSize: config.hiddenSize, layers: config.layers,
                             bidirectional: true, dropout: config.dropout, rng: &rng)
        head = Linear(inputSize: 2 * config.hiddenSize, outputSize: config.tags.count, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    /// `word_embedding.*`, `char_embedding.*` and `char_rnn.*` (with characters), `rnn.*`, `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var out = prefixed("word_embedding", wordEmbedding)
        if let charEmbedding, let charRNN { out += prefixed("char_embedding", charEmbedding) + prefixed("char_rnn", charRNN) }
        return out + prefixed("rnn", rnn) + prefixed("head", head)
    }

    /// The word id of `word` (`<unk>` when unknown).
    public func wordID(_ word: String) -> Int {
        words.idOrUnknown(config.lowercase ? word.lowercased() : word) ?? 0
    }

    /// Tag logits for a batch of sentences (in `outputs`: `[T*B, K]`, row `t*B + b`,
    /// `T` the longest sentence); with `targets` (tag ids per sentence) also the
    /// mean loss over the `count` real words, and in training the gradients are
    /// added into the parameters.
    public func loss(_ sentences: [[String]], targets: [[Int]]? = nil, training: Bool = false,
                     rng: inout SeededRNG) -> BatchLoss<Tensor> {
        let B = sentences.count, T = sentences.map(\.count).max() ?? 0
        let lengths = sentences.map(\.count)
        let Ew = config.wordEmbeddingSize, C = config.usesCharacters ? 2 * config.charHiddenSize : 0, I = Ew + C
        var ids = [Int](repeating: words.id(Vocabulary.padding) ?? 0, count: T * B)
        for (b, s) in sentences.enumerated() { for (t, w) in s.enumerated() { ids[t * B + b] = wordID(w) } }
        let e = wordEmbedding.forward(ids: ids, shape: [T, B])

        // The character encoder runs once per distinct word in the batch.
        var distinct: [String] = [], slot: [String: Int] = [:]
        var position = [Int](repeating: -1, count: T * B)
        if C > 0 {
            for (b, s) in sentences.enumerated() {
                for (t, w) in s.enumerated() {
                    if slot[w] == nil { slot[w] = distinct.count; distinct.append(w) }
                    position[t * B + b] = slot[w]!
                }
            }
        }
        let charPass = C > 0 && !distinct.isEmpty ? encodeCharacters(distinct, training: training, rng: &rng) : nil

        // x[t, b] = [word embedding ; character features]
        var x = Tensor.zeros([T, B, I])
        x.withUnsafeMutableBufferPointer { px in
            e.output.withUnsafeBufferPointer { pe in
                for n in 0..<(T * B) { (px.baseAddress! + n * I).update(from: pe.baseAddress! + n * Ew, count: Ew) }
            }
            if let charPass {
                charPass.features.withUnsafeBufferPointer { pc in
                    for n in 0..<(T * B) where position[n] >= 0 {
                        (px.baseAddress! + n * I + Ew).update(from: pc.baseAddress! + position[n] * C, count: C)
                    }
                }
            }
        }
        let d1 = dropout.forward(x, training: training, rng: &rng)
        let r = rnn.forward(d1.output, lengths: lengths, training: training, rng: &rng)
        let d2 = dropout.forward(r.output, training: training, rng: &rng)
        let out = head.forward(d2.output.reshaped([T * B, 2 * config.hiddenSize]))
        guard let targets else { return BatchLoss(loss: .nan, count: 0, outputs: out.output) }
        var flat = [Int](repeating: -100, count: T * B)
        for (b, tags) in targets.enumerated() { for (t, tag) in tags.enumerated() { flat[t * B + b] = tag } }
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: flat)
        if training {
            let dOut = dropout.backward(d2.trace, gradOutput: head.backward(out.trace, gradOutput: ce.gradient)
                .reshaped([T, B, 2 * config.hiddenSize]))
            let dx = dropout.backward(d1.trace, gradOutput: rnn.backward(r.trace, gradOutput: dOut).gradInput)
            var dWord = Tensor.zeros([T, B, Ew])
            var dChars = Tensor.zeros([distinct.count, C])
            dx.withUnsafeBufferPointer { pdx in
                dWord.withUnsafeMutableBufferPointer { pw in
                    for n in 0..<(T * B) { (pw.baseAddress! + n * Ew).update(from: pdx.baseAddress! + n * I, count: Ew) }
                }
                if C > 0 {
                    dChars.withUnsafeMutableBufferPointer { pc in
                        for n in 0..<(T * B) where position[n] >= 0 {
                            let src = pdx.baseAddress! + n * I + Ew, dst = pc.baseAddress! + position[n] * C
                            for j in 0..<C { dst[j] += src[j] }
                        }
                    }
                }
            }
            wordEmbedding.backward(e.trace, gradOutput: dWord)
            if let charPass { backwardCharacters(charPass, gradFeatures: dChars) }
        }
        return BatchLoss(loss: Double(ce.loss), count: ce.counted, outputs: out.output)
    }

    // MARK: - Character encoder forward and backward

    struct CharPass {
        var embedded: Embedding.Trace
        var rnn: RecurrentLayer.Trace
        var T: Int, N: Int
        /// `[N, 2Hc]`: forward and reverse final states of each word.
        var features: Tensor
    }

    func encodeCharacters(_ words: [String], training: Bool, rng: inout SeededRNG) -> CharPass {
        let chars = self.chars!, charRNN = self.charRNN!, Hc = config.charHiddenSize
        let sequences = words.map { w -> [Int] in
            let ids = w.unicodeScalars.map { chars.idOrUnknown(String($0)) ?? 0 }
            return ids.isEmpty ? [chars.unknownID ?? 0] : ids
        }
        let (ids, T, lengths) = Padding.timeMajor(sequences, padID: chars.id(Vocabulary.padding) ?? 0)
        let N = words.count
        let e = charEmbedding!.forward(ids: ids, shape: [T, N])
        let r = charRNN.forward(e.output, lengths: lengths, training: training, rng: &rng)
        // h_n is [2, N, Hc]: direction 0 then 1.
        var features = Tensor.zeros([N, 2 * Hc])
        features.withUnsafeMutableBufferPointer { pf in
            r.final.h.withUnsafeBufferPointer { ph in
                for n in 0..<N {
                    (pf.baseAddress! + n * 2 * Hc).update(from: ph.baseAddress! + n * Hc, count: Hc)
                    (pf.baseAddress! + n * 2 * Hc + Hc).update(from: ph.baseAddress! + (N + n) * Hc, count: Hc)
                }
            }
        }
        return CharPass(embedded: e.trace, rnn: r.trace, T: T, N: N, features: features)
    }

    func backwardCharacters(_ pass: CharPass, gradFeatures g: Tensor) {
        let Hc = config.charHiddenSize, N = pass.N
        var dh = Tensor.zeros([2, N, Hc])
        dh.withUnsafeMutableBufferPointer { pd in
            g.withUnsafeBufferPointer { pg in
                for n in 0..<N {
                    (pd.baseAddress! + n * Hc).update(from: pg.baseAddress! + n * 2 * Hc, count: Hc)
                    (pd.baseAddress! + (N + n) * Hc).update(from: pg.baseAddress! + n * 2 * Hc + Hc, count: Hc)
                }
            }
        }
        let dx = charRNN!.backward(pass.rnn, gradOutput: .zeros([pass.T, N, 2 * Hc]),
                                   gradFinal: RecurrentState(h: dh, c: .zeros([2, N, Hc]))).gradInput
        charEmbedding!.backward(pass.embedded, gradOutput: dx)
    }

    /// The most likely tag of every word of every sentence.
    public func predict(_ sentences: [[String]]) -> [[String]] {
        var rng = SeededRNG(seed: 0)
        var out: [[String]] = []
        for start in stride(from: 0, to: sentences.count, by: 32) {
            let batch = Array(sentences[start..<min(start + 32, sentences.count)])
            let logits = loss(batch, rng: &rng).outputs
            let B = batch.count
            for (b, s) in batch.enumerated() {
                out.append((0..<s.count).map { t in config.tags[logits.argmax(row: t * B + b)] })
            }
        }
        return out
    }

    // MARK: - Checkpoints

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    /// Both vocabularies in one list: the words, then (when used) the characters; the config gives the split.
    public var checkpointVocabulary: [String] { words.tokens + (chars?.tokens ?? []) }

    /// The tagger a checkpoint holds.
    /// - Throws: ``CheckpointError`` when it holds another kind of model, a bad configuration or vocabularies, or tensors that do not match.
    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(SequenceTaggerConfig.self)
        try checkpoint.validate(config)
        try checkpoint.requireParameterCount(config.parameterCount)
        let expected = config.wordVocabularySize + (config.usesCharacters ? config.charVocabularySize : 0)
        guard let tokens = checkpoint.vocabulary, tokens.count == expected else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing or not \(expected) tokens")
        }
        let words = try checkpoint.vocabulary(Array(tokens[..<config.wordVocabularySize]))
        let chars = config.usesCharacters ? try checkpoint.vocabulary(Array(tokens[config.wordVocabularySize...])) : nil
        var rng = SeededRNG(seed: 0)
        self.init(config: config, words: words, chars: chars, rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
