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
public struct SequenceClassifierConfig: Codable, Equatable, Sendable {
    public var tokenizer: TextTokenizer
    public var lowercase: Bool
    public var cell: CellKind
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var bidirectional: Bool
    public var dropout: Float
    public var pooling: Pooling
    /// Class names in id order.
    public var labels: [String]

    public init(tokenizer: TextTokenizer, lowercase: Bool, cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int,
                layers: Int, bidirectional: Bool, dropout: Float, pooling: Pooling, labels: [String]) {
        self.tokenizer = tokenizer
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

    public var problem: String? {
        if vocabularySize < 2 || embeddingSize < 1 || hiddenSize < 1 || layers < 1 { return "sizes must be positive" }
        if labels.count < 2 { return "a classifier needs at least 2 labels, found \(labels.count)" }
        if Set(labels).count != labels.count { return "labels must be distinct" }
        return dropout >= 0 && dropout < 1 ? nil : "dropout must lie in [0, 1)"
    }

    /// The model's parameter count, or nil when it overflows (check ``problem`` first).
    public var parameterCount: Int? {
        ParameterCount.sum([ParameterCount.embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize),
                            ParameterCount.recurrent(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional),
                            ParameterCount.product(bidirectional ? 2 : 1, hiddenSize).flatMap { ParameterCount.linear(inputSize: $0, outputSize: labels.count) }])
    }
}

/// Many-to-one: the seeds' sentiment picture. embedding -> dropout -> stacked
/// (bi)RNN/LSTM/GRU over each sequence's real steps -> pooling -> dropout ->
/// linear -> softmax. Parameter names: `embedding.*`, `rnn.*`, `head.*`.
public final class SequenceClassifier: Layer {
    public static let kind = "sequence_classifier"

    public let config: SequenceClassifierConfig
    public let vocabulary: Vocabulary
    public let embedding: Embedding
    public let rnn: RecurrentLayer
    public let head: Linear
    let dropout: Dropout

    public init(config: SequenceClassifierConfig, vocabulary: Vocabulary, rng: inout SeededRNG) {
        precondition(config.problem == nil, "SequenceClassifier: \(config.problem ?? "")")
        precondition(vocabulary.count == config.vocabularySize, "SequenceClassifier: vocabulary size differs from the config")
        self.config = config
        self.vocabulary = vocabulary
        embedding = Embedding(vocabularySize: config.vocabularySize, embeddingSize: config.embeddingSize, rng: &rng)
        rnn = RecurrentLayer(cell: config.cell, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, layers: config.layers,
                             bidirectional: config.bidirectional, dropout: config.dropout, rng: &rng)
        head = Linear(inputSize: rnn.outputSize, outputSize: config.labels.count, rng: &rng)
        dropout = Dropout(probability: config.dropout)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + prefixed("rnn", rnn) + prefixed("head", head)
    }

    /// The token ids of `text` (unknown tokens become `<unk>`; at least one token).
    public func encode(_ text: String) -> [Int] {
        let ids = config.tokenizer.tokens(text, lowercase: config.lowercase).map { vocabulary.idOrUnknown($0) ?? 0 }
        return ids.isEmpty ? [vocabulary.unknownID ?? 0] : ids
    }

    /// A padded time-major batch `[T, B]` of id sequences, with their lengths.
    static func pad(_ sequences: [[Int]], padID: Int) -> (ids: [Int], T: Int, lengths: [Int]) {
        let T = sequences.map(\.count).max() ?? 0, B = sequences.count
        var ids = [Int](repeating: padID, count: T * B)
        for (b, s) in sequences.enumerated() { for (t, id) in s.enumerated() { ids[t * B + b] = id } }
        return (ids, T, sequences.map(\.count))
    }

    /// The logits `[B, C]` for a batch of id sequences; with `targets`, also the
    /// mean loss, and in training the gradients are added into the parameters.
    public func run(_ sequences: [[Int]], targets: [Int]? = nil, training: Bool = false,
                    rng: inout SeededRNG) -> (logits: Tensor, loss: Double) {
        let (ids, T, lengths) = Self.pad(sequences, padID: vocabulary.id(Vocabulary.padding) ?? 0)
        let B = sequences.count, F = rnn.outputSize
        let e = embedding.forward(ids: ids, shape: [T, B])
        let d1 = dropout.forward(e.output, training: training, rng: &rng)
        let r = rnn.forward(d1.output, lengths: lengths, training: training, rng: &rng)
        let pooled = pool(r.output, final: r.final, lengths: lengths)
        let d2 = dropout.forward(pooled.features, training: training, rng: &rng)
        let out = head.forward(d2.output)
        guard let targets else { return (out.output, .nan) }
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
        if training {
            let dPooled = dropout.backward(d2.trace, gradOutput: head.backward(out.trace, gradOutput: ce.gradient))
            let (dOutput, dFinal) = unpool(dPooled, pooled: pooled, T: T, B: B, F: F, lengths: lengths)
            let dx = rnn.backward(r.trace, gradOutput: dOutput, gradFinal: dFinal).gradInput
            embedding.backward(e.trace, gradOutput: dropout.backward(d1.trace, gradOutput: dx))
        }
        return (out.output, Double(ce.loss))
    }

    // MARK: - Pooling forward and backward

    struct Pooled {
        var features: Tensor            // [B, F]
        var argmax: [Int]               // max pooling: the step chosen per (b, j)
    }

    /// `output` is `[T, B, F]`; returns `[B, F]`.
    func pool(_ output: Tensor, final: RecurrentState, lengths: [Int]) -> Pooled {
        let B = lengths.count, F = rnn.outputSize, H = rnn.hiddenSize, D = rnn.directionCount
        var features = Tensor.zeros([B, F])
        var argmax = config.pooling == .max ? [Int](repeating: 0, count: B * F) : []
        output.withUnsafeBufferPointer { po in
        final.h.withUnsafeBufferPointer { ph in
        features.withUnsafeMutableBufferPointer { pf in
            let o = po.baseAddress!, f = pf.baseAddress!
            switch config.pooling {
            case .last:
                // The top layer's rows of h_n are (L-1)*D + d.
                let top = (rnn.layerCount - 1) * D
                for b in 0..<B { for d in 0..<D {
                    (f + b * F + d * H).update(from: ph.baseAddress! + ((top + d) * B + b) * H, count: H)
                } }
            case .mean:
                for b in 0..<B {
                    let row = f + b * F, scale = 1 / Float(max(lengths[b], 1))
                    for t in 0..<lengths[b] { let x = o + (t * B + b) * F; for j in 0..<F { row[j] += x[j] } }
                    for j in 0..<F { row[j] *= scale }
                }
            case .max:
                for b in 0..<B where lengths[b] > 0 {
                    let row = f + b * F
                    row.update(from: o + b * F, count: F)
                    for t in 1..<lengths[b] {
                        let x = o + (t * B + b) * F
                        for j in 0..<F where x[j] > row[j] { row[j] = x[j]; argmax[b * F + j] = t }
                    }
                }
            }
        }}}
        return Pooled(features: features, argmax: argmax)
    }

    /// The gradient of pooling: `g` is `[B, F]`; returns the gradient for the
    /// outputs `[T, B, F]` and, for `.last`, for the final state.
    func unpool(_ g: Tensor, pooled: Pooled, T: Int, B: Int, F: Int, lengths: [Int]) -> (Tensor, RecurrentState?) {
        var dOutput = Tensor.zeros([T, B, F])
        var dFinal: RecurrentState? = nil
        let H = rnn.hiddenSize, D = rnn.directionCount
        if config.pooling == .last { dFinal = rnn.zeroState(batch: B) }
        g.withUnsafeBufferPointer { pg in
        dOutput.withUnsafeMutableBufferPointer { pd in
            let gr = pg.baseAddress!, d = pd.baseAddress!
            switch config.pooling {
            case .last:
                let top = (rnn.layerCount - 1) * D
                dFinal!.h.withUnsafeMutableBufferPointer { ph in
                    for b in 0..<B { for dir in 0..<D {
                        (ph.baseAddress! + ((top + dir) * B + b) * H).update(from: gr + b * F + dir * H, count: H)
                    } }
                }
            case .mean:
                for b in 0..<B {
                    let scale = 1 / Float(max(lengths[b], 1))
                    for t in 0..<lengths[b] { let x = d + (t * B + b) * F; for j in 0..<F { x[j] = gr[b * F + j] * scale } }
                }
            case .max:
                for b in 0..<B where lengths[b] > 0 {
                    for j in 0..<F { d[(pooled.argmax[b * F + j] * B + b) * F + j] = gr[b * F + j] }
                }
            }
        }}
        return (dOutput, dFinal)
    }

    /// Class probabilities for each text.
    public func predict(_ texts: [String]) -> [[Float]] {
        var rng = SeededRNG(seed: 0)
        var out: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            let batch = texts[start..<min(start + 64, texts.count)].map(encode)
            let logits = run(batch, rng: &rng).logits
            let C = logits.shape[1]
            for b in 0..<batch.count {
                let row = Array(logits.scalars[(b * C)..<((b + 1) * C)])
                let m = row.max()!
                let e = row.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                out.append(e.map { $0 / s })
            }
        }
        return out
    }

    // MARK: - Checkpoints

    public var configJSON: String { canonicalJSON(config) }

    public convenience init(checkpoint: Checkpoint) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(SequenceClassifierConfig.self)
        if let problem = config.problem { throw CheckpointError.badMetadata(path: checkpoint.path, key: "config", reason: problem) }
        try checkpoint.requireParameterCount(config.parameterCount)
        guard let tokens = checkpoint.vocabulary, tokens.count == config.vocabularySize else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing or not of the configured size")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, vocabulary: try checkpoint.vocabulary(tokens), rng: &rng)
        try checkpoint.load(into: namedParameters)
    }
}
