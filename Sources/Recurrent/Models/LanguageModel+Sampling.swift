import Foundation

/// How to pick each generated token from the model's distribution.
public struct SamplingOptions: Sendable {
    /// Divides the logits: below 1 sharpens, above 1 flattens.
    public var temperature: Float = 1
    /// Keep only the `k` most likely tokens (nil keeps all).
    public var topK: Int? = nil
    /// Always take the most likely token (greedy decoding).
    public var argmax = false

    /// Options: `temperature` 1, all tokens, sampled (not greedy) by default.
    public init(temperature: Float = 1, topK: Int? = nil, argmax: Bool = false) {
        self.temperature = temperature
        self.topK = topK
        self.argmax = argmax
    }
}

extension LanguageModel {
    /// Encodes `text`, a prime to continue, with the model's vocabulary; characters (or
    /// words) it never saw are an error at character level and `<unk>` at word level.
    /// At word level a last line without its newline is continued: it gets no `<eos>`.
    public func encode(_ text: String) throws -> [Int] {
        var tokens = config.level.tokens(text)
        if config.level == .word, !(text.last.map(TextLevel.endsLine) ?? false), tokens.last == Vocabulary.endOfSentence { tokens.removeLast() }
        return try tokens.map { token in
            if let id = vocabulary.id(token) ?? (config.level == .word ? vocabulary.unknownID : nil) { return id }
            throw DataError.unknownSymbol(text: text, symbol: token)
        }
    }

    /// Feeds `prime` (or a newline / `<eos>` when empty), then generates
    /// `length` tokens one at a time, calling `emit` with each as it is chosen.
    public func generate(prime: [Int], length: Int, options: SamplingOptions = SamplingOptions(),
                         rng: inout SeededRNG, emit: (Int) -> Void) {
        precondition(options.temperature > 0, "sampling temperature must be positive, got \(options.temperature)")
        let start = vocabulary.id(config.level == .char ? "\n" : Vocabulary.endOfSentence) ?? 0
        let generator = TokenGenerator(self)
        var logits = Tensor.zeros([0])
        for id in prime.isEmpty ? [start] : prime { logits = generator.next(id) }
        for _ in 0..<length {
            let next = pickToken(logits, options, &rng)
            emit(next)
            logits = generator.next(next)
        }
    }
}

/// One token chosen from `logits` (`[1, V]`) as `options` say, drawing from `rng` when sampling.
func pickToken(_ logits: Tensor, _ options: SamplingOptions, _ rng: inout SeededRNG) -> Int {
    let V = logits.count
    if options.argmax { return logits.argmax(row: 0) }
    var candidates = Array(0..<V)
    if let k = options.topK, k < V {
        candidates = Array(candidates.sorted { logits.scalars[$0] > logits.scalars[$1] }.prefix(max(1, k)))
    }
    // exp((l - max) / T) in Double: the largest weight is exactly 1 at any
    // temperature, so a tiny T gives the argmax and a huge one a uniform
    // choice, never an overflow to inf/inf = NaN.
    let m = Double(candidates.map { logits.scalars[$0] }.max() ?? 0), T = Double(options.temperature)
    let weights = candidates.map { Foundation.exp((Double(logits.scalars[$0]) - m) / T) }
    var u = Double(rng.nextUnitFloat()) * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        u -= w
        if u < 0 { return candidates[i] }
    }
    return candidates.last!
}

/// Batch-1 generation for a decoder made of an embedding, a recurrent stack
/// and an output layer (a ``LanguageModel``, a ``ConditionalGenerator``): the
/// embedding and layer 0's input projection are folded into one table
/// (`[V, G*H]`, row `v` is `W_ih0[:, 0..<E] e_v + b_ih0`), so each token costs a
/// row lookup, the stepper's matrix-vector products and the output layer's.
/// A table larger than ``foldLimit`` floats (a large vocabulary with a small
/// embedding) is not built; each token's row is then computed as it is fed.
/// A per-step condition held by the stepper supplies layer 0's remaining inputs.
final class TokenGenerator: NextTokenModel {
    let stepper: RecurrentStepper
    /// The output layer, when it is one linear layer on the top features.
    let head: Linear?
    /// Top features `[1, H]` -> logits `[1, V]`, for another output layer
    /// (a tied head after a projection, an adaptive softmax).
    let readout: ((Tensor) -> Tensor)?
    /// Every token's row, when folded (at most ``foldLimit`` floats).
    let table: Tensor?
    /// Without a table: the embedding and layer 0, to compute the row of the token being fed.
    let embedding: Embedding
    let first: RecurrentPass
    var logits: Tensor
    /// The output layer's weights in bfloat16, under ``Precision/bf16``.
    let headBF16: BF16Matrix?

    /// A generator for `model` in the precision in force (see ``Precision``).
    convenience init(_ model: LanguageModel, precision: Precision = Precision.current) {
        if let head = model.head, model.projection == nil {
            self.init(embedding: model.embedding, rnn: model.rnn, head: head, readout: nil, precision: precision)
        } else {
            self.init(embedding: model.embedding, rnn: model.rnn, head: nil, readout: model.outputLogits, precision: precision)
        }
    }

    /// The most floats the folded table may hold (256 MB); above it rows are computed per token.
    static let foldLimit = 1 << 26

    /// Give `head`, or `readout` when the output layer is not one linear layer.
    init(embedding: Embedding, rnn: RecurrentLayer, head: Linear?, readout: ((Tensor) -> Tensor)? = nil, precision: Precision = Precision.current,
         foldLimit: Int = TokenGenerator.foldLimit) {
        self.head = head
        self.readout = readout
        stepper = RecurrentStepper(layer: rnn, precision: precision)
        headBF16 = precision == .bf16 && precision.isAvailable ? head.map { BF16Matrix($0.weight.value) } : nil
        // The process-wide team: the output layer's product, when large enough to be
        // split, goes through Threads.parallelFor, which uses the same helper thread,
        // so generation never has two helpers spinning on two cores.
        stepper.team = WorkTeam.shared
        let first = rnn.passes[0][0]
        let V = embedding.vocabularySize, GH = rnn.cell.gateCount * rnn.hiddenSize
        self.embedding = embedding
        self.first = first
        let (size, overflow) = V.multipliedReportingOverflow(by: GH)
        table = overflow || size > foldLimit ? nil : Self.projectedRows(0..<V, embedding: embedding, first: first)
        logits = Tensor.zeros([1, embedding.vocabularySize])
    }

    /// Layer 0's input projection of the tokens `ids` (`[ids.count, G*H]`): `W_ih0[:, 0..<E] e_v + b_ih0`.
    static func projectedRows(_ ids: Range<Int>, embedding: Embedding, first: RecurrentPass) -> Tensor {
        let E = embedding.embeddingSize, I = first.inputSize, GH = first.cell.gateCount * first.hiddenSize
        var rows = Tensor.zeros([ids.count, GH])
        embedding.weight.value.withUnsafeBufferPointer { e in
            first.weightIH.value.withUnsafeBufferPointer { w in
                rows.withUnsafeMutableBufferPointer { t in
                    gemm(transB: true, m: ids.count, n: GH, k: E, a: e.baseAddress! + ids.lowerBound * E, lda: E, b: w.baseAddress!, ldb: I,
                         c: t.baseAddress!, ldc: GH)
                    first.finishInputProjection(t.baseAddress!, rows: ids.count)     // + b_ih (after LN(ih) when layer-normalised)
                }
            }
        }
        return rows
    }

    /// Feeds token `id`; returns the logits for the token after it (`[1, V]`).
    func next(_ id: Int) -> Tensor {
        let top: UnsafePointer<Float>
        if let table {
            let GH = table.shape[1]
            top = table.withUnsafeBufferPointer { stepper.step(projectedInput: $0.baseAddress! + id * GH) }
        } else {
            let row = Self.projectedRows(id..<(id + 1), embedding: embedding, first: first)
            top = row.withUnsafeBufferPointer { stepper.step(projectedInput: $0.baseAddress!) }
        }
        guard let head else {
            let H = stepper.layer.hiddenSize
            logits = readout!(Tensor(shape: [1, H], scalars: Array(UnsafeBufferPointer(start: top, count: H))))
            return logits
        }
        let H = head.inputSize, V = head.outputSize
        head.weight.value.withUnsafeBufferPointer { w in
            head.bias!.value.withUnsafeBufferPointer { b in
                logits.withUnsafeMutableBufferPointer { out in
                    out.baseAddress!.update(from: b.baseAddress!, count: V)
                    if let headBF16 {
                        headBF16.multiply(x: top, beta: 1, y: out.baseAddress!)
                    } else {
                        gemv(m: V, k: H, a: w.baseAddress!, lda: H, x: top, beta: 1, y: out.baseAddress!)
                    }
                }
            }
        }
        return logits
    }

    /// Beam search's view: the stepper is set to `state`, fed `token`, and read back.
    func logProbabilities(after token: Int, from state: RecurrentState) -> (logProbabilities: [Float], state: RecurrentState) {
        stepper.reset(to: state)
        var row = next(token)
        logSoftmaxRows(&row)
        return (row.scalars, stepper.state)
    }
}

extension LanguageModel {
    /// The most probable continuation of `prime` (or a newline / `<eos>`) of
    /// `length` tokens by beam search with `width` beams (``BeamSearch``).
    public func beamSearch(prime: [Int], width: Int, length: Int) -> BeamSearch.Hypothesis {
        let start = vocabulary.id(config.level == .char ? "\n" : Vocabulary.endOfSentence) ?? 0
        let ids = prime.isEmpty ? [start] : prime
        let generator = TokenGenerator(self)
        for id in ids.dropLast() { _ = generator.next(id) }
        return BeamSearch(width: width, maxLength: length, endToken: nil).search(generator, from: generator.stepper.state, first: ids.last!)[0]
    }
}
