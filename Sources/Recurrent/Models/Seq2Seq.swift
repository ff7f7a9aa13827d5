import Foundation

/// The hyper-parameters of a ``Seq2Seq`` model, stored in its checkpoints.
public struct Seq2SeqConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// The recurrent cell of the encoder and the decoder.
    public var cell: CellKind
    /// Whether words are lowercased before lookup (both sides).
    public var lowercase: Bool
    /// The source vocabulary's size (4 specials first).
    public var sourceVocabularySize: Int
    /// The target vocabulary's size (4 specials first).
    public var targetVocabularySize: Int
    /// `E`, the size of each source and target word vector.
    public var embeddingSize: Int
    /// Encoder hidden size per direction (`He`); the memory is `2 He` wide.
    public var encoderHiddenSize: Int
    /// The encoder's stacked bidirectional layers.
    public var encoderLayers: Int
    /// `Hd`, the decoder's hidden size.
    public var decoderHiddenSize: Int
    /// `Ld`, the decoder's stacked layers.
    public var decoderLayers: Int
    /// How the decoder's state is scored against the memory.
    public var attention: AttentionScore
    /// The additive score's hidden size (ignored by dot and general).
    public var attentionSize: Int
    /// Feed the previous step's attentional vector into the decoder's next input (Luong et al. 2015).
    public var inputFeeding: Bool
    /// Dropout on embeddings, between layers and on the attentional vector.
    public var dropout: Float
    /// The output layer's weight is the target embedding's table (Press and Wolf 2017;
    /// needs `embeddingSize == decoderHiddenSize`). Absent in older checkpoints: false.
    public var tiedEmbeddings: Bool?
    /// Subword units: words are read and written as byte-pair-encoded pieces
    /// (``BytePairEncoding``, learned jointly on both sides). Absent: whole words.
    public var subwords: BytePairEncoding?

    /// A configuration with these settings.
    public init(cell: CellKind, lowercase: Bool, sourceVocabularySize: Int, targetVocabularySize: Int, embeddingSize: Int,
                encoderHiddenSize: Int, encoderLayers: Int, decoderHiddenSize: Int, decoderLayers: Int,
                attention: AttentionScore, attentionSize: Int, inputFeeding: Bool, dropout: Float, tiedEmbeddings: Bool = false,
                subwords: BytePairEncoding? = nil) {
        self.cell = cell
        self.lowercase = lowercase
        self.sourceVocabularySize = sourceVocabularySize
        self.targetVocabularySize = targetVocabularySize
        self.embeddingSize = embeddingSize
        self.encoderHiddenSize = encoderHiddenSize
        self.encoderLayers = encoderLayers
        self.decoderHiddenSize = decoderHiddenSize
        self.decoderLayers = decoderLayers
        self.attention = attention
        self.attentionSize = attentionSize
        self.inputFeeding = inputFeeding
        self.dropout = dropout
        self.tiedEmbeddings = tiedEmbeddings ? true : nil
        self.subwords = subwords
    }

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        let He = encoderHiddenSize, Hd = decoderHiddenSize, E = embeddingSize, P = ParameterCount.self
        let memory = P.product(2, He)
        let decoderInput = inputFeeding ? P.sum([E, Hd]) : E
        let attentionPart: Int?
        switch attention {
        case .dot: attentionPart = 0
        case .general: attentionPart = memory.flatMap { P.product(Hd, $0) }
        case .additive: attentionPart = P.sum([P.product(attentionSize, Hd), memory.flatMap { P.linear(inputSize: $0, outputSize: attentionSize) },
                                               attentionSize])
        }
        return P.sum([P.embedding(vocabularySize: sourceVocabularySize, embeddingSize: E),
                      P.recurrent(cell: cell, inputSize: E, hiddenSize: He, layers: encoderLayers, bidirectional: true),
                      memory.flatMap { m in P.product(cell.hasCellState ? 2 : 1, decoderLayers, Hd).flatMap { P.linear(inputSize: m, outputSize: $0) } },
                      P.embedding(vocabularySize: targetVocabularySize, embeddingSize: E),
                      decoderInput.flatMap { P.recurrent(cell: cell, inputSize: $0, hiddenSize: Hd, layers: decoderLayers, bidirectional: false) },
                      attentionPart,
                      P.sum([memory, Hd]).flatMap { P.linear(inputSize: $0, outputSize: Hd) },
                      tied ? targetVocabularySize : P.linear(inputSize: Hd, outputSize: targetVocabularySize)])
    }

    /// Whether the output layer shares the target embedding's table.
    public var tied: Bool { tiedEmbeddings ?? false }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if sourceVocabularySize < Seq2Seq.specials.count || targetVocabularySize < Seq2Seq.specials.count {
            throw .unmetRule(setting: "vocabularies", expected: "need at least the \(Seq2Seq.specials.count) special tokens")
        }
        if embeddingSize < 1 || encoderHiddenSize < 1 || encoderLayers < 1 || decoderHiddenSize < 1 || decoderLayers < 1 {
            throw .unmetRule(setting: "sizes", expected: "must be positive")
        }
        let (memorySize, tooLarge) = encoderHiddenSize.multipliedReportingOverflow(by: 2)
        if attention == .dot && (tooLarge || decoderHiddenSize != memorySize) {
            throw .invalidValue(setting: "dot attention", value: "\(decoderHiddenSize)",
                                expected: "needs a decoder hidden size of twice the encoder's (\(tooLarge ? "too large" : String(memorySize)))")
        }
        if attention == .additive && attentionSize < 1 {
            throw .unmetRule(setting: "additive attention", expected: "needs a positive attention size")
        }
        if tied && embeddingSize != decoderHiddenSize {
            throw .invalidValue(setting: "tied embeddings", value: "\(embeddingSize)",
                                expected: "need an embedding size equal to the decoder hidden size (\(decoderHiddenSize))")
        }
        if cell != .lstm && cell != .gru { throw .invalidValue(setting: "the encoder and decoder cell", value: "\(cell)", expected: "must be lstm or gru") }
        if !(dropout >= 0 && dropout < 1) { throw .invalidValue(setting: "dropout", value: "\(dropout)", expected: "must lie in [0, 1)") }
    }
}

/// Many-to-many, unaligned: an encoder-decoder with attention (Bahdanau et
/// al. 2015; Luong et al. 2015), the seeds' translation picture.
///
///     memory  = BiRNN_enc(dropout(E_src x))                    [S, B, 2He]
///     s_0     = tanh(W_b [h_fwd; h_bwd] + b_b)                 the bridge, from the top layer's final states
///     h_t     = RNN_dec([dropout(E_tgt y_{t-1}) ; h~_{t-1}])   (h~_{t-1} only with input feeding)
///     c_t     = attention(h_t, memory), masked by source length
///     h~_t    = tanh(W_c [c_t ; h_t] + b_c)                    [T, B, Hd]
///     p(y_t)  = softmax(W_o dropout(h~_t) + b_o)
///
/// Sources end with `<eos>`; targets are fed `<bos> y_1 ... y_n` and predict
/// `y_1 ... y_n <eos>` (teacher forcing); padding is ignored by the loss.
/// Parameter names: `source_embedding.*`, `encoder.*` (PyTorch `nn.LSTM`/`nn.GRU`
/// names), `bridge.linear.*`, `target_embedding.*`, `decoder.*`, `attention.*`,
/// `combine.*`, `head.*` (without `head.weight` when tied: it is `target_embedding.weight`).
public final class Seq2Seq: Layer {
    /// The checkpoint `kind` of a sequence-to-sequence model.
    public static let kind = "seq2seq"
    /// The start marker fed before a target's first word, `<bos>`.
    public static let beginOfSentence = "<bos>"
    /// Ids 0...3 of both vocabularies.
    public static let specials = [Vocabulary.padding, Vocabulary.unknown, beginOfSentence, Vocabulary.endOfSentence]
    /// The ids of the specials in both vocabularies: `<pad>` 0, `<unk>` 1, `<bos>` 2, `<eos>` 3.
    public static let padID = 0, unknownID = 1, bosID = 2, eosID = 3

    /// The hyper-parameters it was built with.
    public let config: Seq2SeqConfig
    /// The source vocabulary (words or subword pieces).
    public let source: Vocabulary
    /// The target vocabulary (words or subword pieces).
    public let target: Vocabulary
    /// The source embedding `[Vs, E]`.
    public let sourceEmbedding: Embedding
    /// The bidirectional encoder, `E -> 2 He`.
    public let encoder: RecurrentLayer
    /// The encoder's final states to the decoder's initial state.
    public let bridge: StateBridge
    /// The target embedding `[Vt, E]`.
    public let targetEmbedding: Embedding
    /// The decoder, `E (+ Hd with input feeding) -> Hd`.
    public let decoder: RecurrentLayer
    /// The attention over the encoder's memory.
    public let attention: Attention
    /// `[c_t ; h_t]` (`2He + Hd`) to the attentional vector `h~_t` (`Hd`).
    public let combine: Linear
    /// The output layer, `Hd -> Vt`.
    public let head: Linear
    let dropout: Dropout

    /// `2 He`, the width of the encoder's memory.
    var memorySize: Int { 2 * config.encoderHiddenSize }

    /// A model with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``Seq2SeqConfig/validate()``;
    /// ``init(checkpoint:)`` and the `rnn` options do): an invalid configuration is a programmer error.
    public init(config: Seq2SeqConfig, source: Vocabulary, target: Vocabulary, rng: inout SeededRNG) {
        config.preconditionValid("Seq2Seq")
        precondition(source.count == config.sourceVocabularySize && target.count == config.targetVocabularySize
                     && Array(source.tokens.prefix(4)) == Self.specials && Array(target.tokens.prefix(4)) == Self.specials,
                     "Seq2Seq: vocabularies must match the config and start with \(Self.specials)")
        self.config = config
        self.source = source
        self.target = target
        let E = config.embeddingSize, He = config.encoderHiddenSize, Hd = config.decoderHiddenSize
        sourceEmbedding = Embedding(vocabularySize: config.sourceVocabularySize, embeddingSize: E, rng: &rng)
        encoder = RecurrentLayer(cell: config.cell, inputSize: E, hiddenSize: He, layers: config.encoderLayers,
                                 bidirectional: true, dropout: config.dropout, rng: &rng)
        bridge = StateBridge(conditionSize: 2 * He, layers: config.decoderLayers, hiddenSize: Hd,
                             hasCellState: config.cell.hasCellState, rng: &rng)
        targetEmbedding = Embedding(vocabularySize: config.targetVocabularySize, embeddingSize: E, rng: &rng)
        decoder = RecurrentLayer(cell: config.cell, inputSize: E + (config.inputFeeding ? Hd : 0), hiddenSize: Hd,
                                 layers: config.decoderLayers, dropout: config.dropout, rng: &rng)
        attention = Attention(score: config.attention, querySize: Hd, keySize: 2 * He, attentionSize: config.attentionSize, rng: &rng)
        combine = Linear(inputSize: 2 * He + Hd, outputSize: Hd, rng: &rng)
        head = config.tied ? Linear(sharing: targetEmbedding.weight, rng: &rng)
                           : Linear(inputSize: Hd, outputSize: config.targetVocabularySize, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    /// `source_embedding.*`, `encoder.*`, `bridge.linear.*`, `target_embedding.*`, `decoder.*`, `attention.*`, `combine.*`, `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("source_embedding", sourceEmbedding) + prefixed("encoder", encoder) + prefixed("bridge", bridge)
            + prefixed("target_embedding", targetEmbedding) + prefixed("decoder", decoder) + prefixed("attention", attention)
            + prefixed("combine", combine) + prefixed("head", head).filter { !(config.tied && $0.name == "head.weight") }
    }

    // MARK: - Words and ids

    /// The units the model reads for tokenized words: the words (lowercased
    /// when the model lowercases), or their subword pieces.
    public func units(_ words: [String]) -> [String] {
        let cased = config.lowercase ? words.map { $0.lowercased() } : words
        return config.subwords?.pieces(cased) ?? cased
    }

    /// Words from the units the model writes (subword pieces joined).
    public func words(_ units: [String]) -> [String] {
        config.subwords == nil ? units : BytePairEncoding.join(units)
    }

    /// Source ids of tokenized words, `<unk>` for unknown units, with `<eos>` appended.
    public func sourceIDs(_ words: [String]) -> [Int] {
        units(words).map { source.id($0) ?? Self.unknownID } + [Self.eosID]
    }

    /// Target ids of tokenized words (`<unk>` for unknown units), without `<bos>`/`<eos>`.
    public func targetIDs(_ words: [String]) -> [Int] {
        units(words).map { target.id($0) ?? Self.unknownID }
    }

    // MARK: - Encoder

    /// What the decoder attends to, for `B` sentences.
    public struct Encoded {
        /// `[S, B, 2He]`
        public let memory: Tensor
        /// Each sentence's source length `S_b` (`<eos>` included).
        public let lengths: [Int]
        /// The decoder's initial state, `[Ld, B, Hd]`.
        public let initial: RecurrentState
        let traces: EncoderTraces?
    }

    struct EncoderTraces {
        let embedding: Embedding.Trace, embeddingDropout: Dropout.Trace
        let encoder: RecurrentLayer.Trace, bridge: StateBridge.Trace
    }

    /// Runs the encoder and the bridge over `sources` (ids ending in `<eos>`).
    func encode(_ sources: [[Int]], training: Bool, rng: inout SeededRNG) -> Encoded {
        let (ids, S, lengths) = Padding.timeMajor(sources, padID: Self.padID)
        let B = sources.count, He = config.encoderHiddenSize, Le = config.encoderLayers
        let e = sourceEmbedding.forward(ids: ids, shape: [S, B])
        let de = dropout.forward(e.output, training: training, rng: &rng)
        let enc = encoder.forward(de.output, lengths: lengths, training: training, rng: &rng)
        // z[b] = [h_fwd ; h_bwd] of the top layer, entries 2(Le-1) and 2(Le-1)+1 of h_n.
        var z = Tensor.zeros([B, 2 * He])
        z.withUnsafeMutableBufferPointer { pz in enc.final.h.withUnsafeBufferPointer { ph in
            for d in 0..<2 { for b in 0..<B {
                (pz.baseAddress! + b * 2 * He + d * He).update(from: ph.baseAddress! + ((2 * (Le - 1) + d) * B + b) * He, count: He)
            } }
        }}
        let br = bridge.forward(z)
        return Encoded(memory: enc.output, lengths: lengths, initial: br.state,
                       traces: EncoderTraces(embedding: e.trace, embeddingDropout: de.trace, encoder: enc.trace, bridge: br.trace))
    }

    /// Backward through the bridge and the encoder for `dMemory` (`[S, B, 2He]`) and the decoder's `dInitial`.
    func encodeBackward(_ encoded: Encoded, gradMemory: Tensor, gradInitial: RecurrentState) {
        let t = encoded.traces!, B = encoded.lengths.count, He = config.encoderHiddenSize, Le = config.encoderLayers
        let dz = bridge.backward(t.bridge, gradInitial: gradInitial)
        var dh = Tensor.zeros([2 * Le, B, He])
        dh.withUnsafeMutableBufferPointer { ph in dz.withUnsafeBufferPointer { pz in
            for d in 0..<2 { for b in 0..<B {
                (ph.baseAddress! + ((2 * (Le - 1) + d) * B + b) * He).update(from: pz.baseAddress! + b * 2 * He + d * He, count: He)
            } }
        }}
        let gradFinal = RecurrentState(h: dh, c: config.cell.hasCellState ? .zeros([2 * Le, B, He]) : nil)
        let g = encoder.backward(t.encoder, gradOutput: gradMemory, gradFinal: gradFinal)
        sourceEmbedding.backward(t.embedding, gradOutput: dropout.backward(t.embeddingDropout, gradOutput: g.gradInput))
    }

    // MARK: - Attention and the attentional vector

    struct AttendTrace {
        let attention: Attention.Trace, combine: Linear.Trace
        /// `h~`, `[N, B, Hd]`
        let attentional: Tensor
    }

    /// `h~ = tanh(W_c [attention(h, memory) ; h] + b_c)` for decoder outputs `h` (`[N, B, Hd]`).
    func attend(_ h: Tensor, memory: Tensor, keys: (keys: Tensor, trace: Linear.Trace?), lengths: [Int]) -> (Tensor, AttendTrace) {
        let a = attention.forward(h, memory: memory, keys: keys, lengths: lengths)
        let c = combine.forward(concatLast(a.context, h))
        var ht = c.output
        ht.withUnsafeMutableBufferPointer { p in Pointwise.tanh(p.baseAddress!, p.baseAddress!, p.count) }
        return (ht, AttendTrace(attention: a.trace, combine: c.trace, attentional: ht))
    }

    /// Backward of ``attend``: returns `dh` (`[N, B, Hd]`) and the gradient for the memory.
    func attendBackward(_ trace: AttendTrace, gradAttentional dht: Tensor) -> (gradH: Tensor, gradMemory: Tensor) {
        var dpre = dht
        dpre.withUnsafeMutableBufferPointer { pd in trace.attentional.withUnsafeBufferPointer { ph in
            for i in 0..<pd.count { pd[i] *= 1 - ph[i] * ph[i] }
        }}
        let parts = splitLast(combine.backward(trace.combine, gradOutput: dpre), memorySize)
        let g = attention.backward(trace.attention, gradContext: parts.0)
        var dh = parts.1
        addInPlace(&dh, g.gradQuery)
        return (dh, g.gradMemory)
    }

    // MARK: - Training forward and backward

    /// The mean cross-entropy over the real target tokens of a batch, under
    /// teacher forcing; in training the gradients are added into the parameters.
    /// `targets` are target ids without `<bos>`/`<eos>`.
    ///
    /// `fed`, when given, replaces what the decoder reads after `<bos>`: `fed[b][t]`
    /// is fed in place of `targets[b][t]` (same lengths), while the loss still
    /// scores `targets` (scheduled sampling feeds the model's own predictions).
    /// - Returns: the mean loss, the number of target tokens it averages over, and in
    ///   `outputs` the attention weights `[T, B, S]` (for alignment pictures) and, when
    ///   `predicting`, `predictions[b][t]`, the most likely word at target position `t`
    ///   (`targets[b].count` of them; empty lists otherwise).
    public func loss(sources: [[Int]], targets: [[Int]], fed: [[Int]]? = nil, predicting: Bool = false, training: Bool = false,
                     rng: inout SeededRNG) -> BatchLoss<(weights: Tensor, predictions: [[Int]])>
    {
        precondition(sources.count == targets.count && !sources.isEmpty, "Seq2Seq.loss: \(sources.count) sources, \(targets.count) targets")
        precondition(fed.map { $0.map(\.count) == targets.map(\.count) } ?? true, "Seq2Seq.loss: fed tokens must match the targets' lengths")
        let B = sources.count, T = (targets.map(\.count).max() ?? 0) + 1, Hd = config.decoderHiddenSize
        let encoded = encode(sources, training: training, rng: &rng)
        let keys = attention.keys(encoded.memory)
        var inputIDs = [Int](repeating: Self.padID, count: T * B), targetIDs = [Int](repeating: -100, count: T * B)
        for (b, y) in targets.enumerated() {
            inputIDs[b] = Self.bosID
            for (t, id) in y.enumerated() { inputIDs[(t + 1) * B + b] = fed?[b][t] ?? id; targetIDs[t * B + b] = id }
            targetIDs[y.count * B + b] = Self.eosID
        }
        let emb = targetEmbedding.forward(ids: inputIDs, shape: [T, B])
        let demb = dropout.forward(emb.output, training: training, rng: &rng)

        // The decoder: all steps in one pass, or step by step when each input needs the previous h~.
        var attentional: Tensor, weights: Tensor
        var backwardDecoder: (Tensor) -> (gradEmbedding: Tensor, gradMemory: Tensor, gradInitial: RecurrentState)
        if !config.inputFeeding {
            let dec = decoder.forward(demb.output, initial: encoded.initial, training: training, rng: &rng)
            let (ht, at) = attend(dec.output, memory: encoded.memory, keys: keys, lengths: encoded.lengths)
            attentional = ht
            weights = at.attention.weights
            backwardDecoder = { dht in
                let ga = self.attendBackward(at, gradAttentional: dht)
                let g = self.decoder.backward(dec.trace, gradOutput: ga.gradH)
                return (g.gradInput, ga.gradMemory, g.gradInitial)
            }
        } else {
            var state = encoded.initial
            var feed = Tensor.zeros([1, B, Hd])
            var steps: [(dec: RecurrentLayer.Trace, attend: AttendTrace)] = []
            attentional = Tensor.zeros([T, B, Hd])
            weights = Tensor.zeros([T, B, encoded.memory.shape[0]])
            let E = config.embeddingSize
            for t in 0..<T {
                let x = concatLast(rows(demb.output, t * B * E, [1, B, E]), feed)
                let dec = decoder.forward(x, initial: state, training: training, rng: &rng)
                let (ht, at) = attend(dec.output, memory: encoded.memory, keys: keys, lengths: encoded.lengths)
                state = dec.final
                feed = ht
                steps.append((dec.trace, at))
                attentional.scalars.replaceSubrange((t * B * Hd)..<((t + 1) * B * Hd), with: ht.scalars)
                let w = at.attention.weights
                weights.scalars.replaceSubrange((t * w.count)..<((t + 1) * w.count), with: w.scalars)
            }
            backwardDecoder = { dAttentional in
                var dEmb = Tensor.zeros([T, B, E])
                var dMemory = Tensor.zeros(encoded.memory.shape)
                var dFeed = Tensor.zeros([1, B, Hd])
                var dState: RecurrentState? = nil
                for t in stride(from: T - 1, through: 0, by: -1) {
                    var dht = rows(dAttentional, t * B * Hd, [1, B, Hd])
                    addInPlace(&dht, dFeed)
                    let ga = self.attendBackward(steps[t].attend, gradAttentional: dht)
                    addInPlace(&dMemory, ga.gradMemory)
                    let g = self.decoder.backward(steps[t].dec, gradOutput: ga.gradH, gradFinal: dState)
                    dState = g.gradInitial
                    let (de, df) = splitLast(g.gradInput, E)
                    dEmb.scalars.replaceSubrange((t * B * E)..<((t + 1) * B * E), with: de.scalars)
                    dFeed = df
                }
                return (dEmb, dMemory, dState!)
            }
        }

        let dropped = dropout.forward(attentional, training: training, rng: &rng)
        let out = head.forward(dropped.output.reshaped([T * B, Hd]))
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targetIDs)
        if training {
            let dht = dropout.backward(dropped.trace, gradOutput: head.backward(out.trace, gradOutput: ce.gradient).reshaped([T, B, Hd]))
            let g = backwardDecoder(dht)
            targetEmbedding.backward(emb.trace, gradOutput: dropout.backward(demb.trace, gradOutput: g.gradEmbedding))
            encodeBackward(encoded, gradMemory: g.gradMemory, gradInitial: g.gradInitial)
        }
        let predictions = targets.enumerated().map { b, y in predicting ? (0..<y.count).map { t in out.output.argmax(row: t * B + b) } : [] }
        return BatchLoss(loss: Double(ce.loss), count: ce.counted, outputs: (weights: weights, predictions: predictions))
    }

    // MARK: - Checkpoints

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    /// Both vocabularies in one list: source tokens, then target tokens; the config gives the split.
    public var checkpointVocabulary: [String] { source.tokens + target.tokens }

    /// The model a checkpoint holds.
    /// - Throws: ``CheckpointError`` when it holds another kind of model, a bad configuration or vocabularies, or tensors that do not match.
    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(Seq2SeqConfig.self)
        try checkpoint.validate(config)
        try checkpoint.requireParameterCount(config.parameterCount)      // before any arithmetic on the sizes
        let expected = config.sourceVocabularySize + config.targetVocabularySize
        guard let tokens = checkpoint.vocabulary, tokens.count == expected else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing or not \(expected) tokens")
        }
        let source = try checkpoint.vocabulary(Array(tokens[..<config.sourceVocabularySize]))
        let target = try checkpoint.vocabulary(Array(tokens[config.sourceVocabularySize...]))
        guard Array(source.tokens.prefix(4)) == Self.specials, Array(target.tokens.prefix(4)) == Self.specials else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "each vocabulary must start with \(Self.specials)")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, source: source, target: target, rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
