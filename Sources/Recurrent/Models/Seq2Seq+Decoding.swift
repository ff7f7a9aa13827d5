import Foundation

/// Step-by-step decoding of a ``Seq2Seq`` for a batch of source sentences:
/// the encoder runs once per sentence; each decoder row (a sentence, or one
/// beam of it) reads its own sentence's memory.
public struct Seq2SeqDecoder: BatchedNextTokenModel {
    /// The model decoded.
    public let model: Seq2Seq
    let encoded: Seq2Seq.Encoded
    /// The memory's keys as the attention score sees them, `[S, B, Kp]`.
    let keys: Tensor

    /// The decoder state of `N` rows.
    public struct State {
        /// `[Ld, N, Hd]`
        public var recurrent: RecurrentState
        /// The last attentional vector `h~`, `[1, N, Hd]` (fed back with input feeding).
        public var feed: Tensor
        /// The source sentence of each row.
        public var sentence: [Int]
        /// The last step's attention weights, `[N, S]`.
        public var weights: Tensor?
    }

    /// Encodes `sources` (source ids ending in `<eos>`).
    public init(model: Seq2Seq, sources: [[Int]]) {
        self.model = model
        var rng = SeededRNG(seed: 0)
        encoded = model.encode(sources, training: false, rng: &rng)
        keys = model.attention.keys(encoded.memory).keys
    }

    /// One row per sentence, before the first token.
    public var initialState: State {
        let B = encoded.lengths.count
        return State(recurrent: encoded.initial, feed: .zeros([1, B, model.config.decoderHiddenSize]), sentence: Array(0..<B), weights: nil)
    }

    /// Feeds `tokens[n]` to row `n`: the log-probabilities `[N, V]` of each row's next word, and the state after.
    public func logProbabilities(after tokens: [Int], from state: State) -> (logProbabilities: Tensor, state: State) {
        let N = tokens.count, Hd = model.config.decoderHiddenSize, S = encoded.memory.shape[0]
        var x = model.targetEmbedding.forward(ids: tokens, shape: [1, N]).output
        if model.config.inputFeeding { x = concatLast(x, state.feed) }
        let dec = model.decoder.forward(x, initial: state.recurrent)
        let memory = gatherColumns(encoded.memory, state.sentence), rowKeys = gatherColumns(keys, state.sentence)
        let (ht, trace) = model.attend(dec.output, memory: memory, keys: (rowKeys, nil), lengths: state.sentence.map { encoded.lengths[$0] })
        var lp = model.head.forward(ht.reshaped([N, Hd])).output
        logSoftmaxRows(&lp)
        return (lp, State(recurrent: dec.final, feed: ht, sentence: state.sentence, weights: trace.attention.weights.reshaped([N, S])))
    }

    /// The rows `rows` of `state` (a row may repeat), for the beams kept.
    public func selecting(rows: [Int], of state: State) -> State {
        State(recurrent: RecurrentState(h: gatherColumns(state.recurrent.h, rows), c: state.recurrent.c.map { gatherColumns($0, rows) }),
              feed: gatherColumns(state.feed, rows), sentence: rows.map { state.sentence[$0] },
              weights: state.weights.map { gatherColumns($0.reshaped([1] + $0.shape), rows).reshaped([rows.count, $0.shape[1]]) })
    }

    /// Greedy decoding: the most probable token at every step, until `<eos>`
    /// or `maxLengths[b]` tokens. Returns the tokens (without `<eos>`) and, for
    /// each sentence, the attention weights of each output step (`S` values each).
    public func greedy(maxLengths: [Int]) -> [(tokens: [Int], weights: [[Float]])] {
        let B = encoded.lengths.count, S = encoded.memory.shape[0]
        var out = [(tokens: [Int], weights: [[Float]])](repeating: ([], []), count: B)
        var done = maxLengths.map { $0 <= 0 }
        var state = initialState
        var tokens = [Int](repeating: Seq2Seq.bosID, count: B)
        for _ in 0..<(maxLengths.max() ?? 0) where done.contains(false) {
            let r = logProbabilities(after: tokens, from: state)
            state = r.state
            for b in 0..<B {
                tokens[b] = r.logProbabilities.argmax(row: b)
                if done[b] { continue }
                out[b].weights.append(Array(state.weights!.scalars[(b * S)..<(b * S + encoded.lengths[b])]))
                if tokens[b] == Seq2Seq.eosID { done[b] = true; continue }
                out[b].tokens.append(tokens[b])
                if out[b].tokens.count >= maxLengths[b] { done[b] = true }
            }
        }
        return out
    }
}

/// Columns `index` of a `[R, N, F]` tensor (the batch axis), in that order: `[R, index.count, F]`.
func gatherColumns(_ x: Tensor, _ index: [Int]) -> Tensor {
    let R = x.shape[0], N = x.shape[1], F = x.shape[2], M = index.count
    var out = Tensor(uninitializedShape: [R, M, F])
    out.withUnsafeMutableBufferPointer { po in x.withUnsafeBufferPointer { px in
        for r in 0..<R { for (m, n) in index.enumerated() {
            (po.baseAddress! + (r * M + m) * F).update(from: px.baseAddress! + (r * N + n) * F, count: F)
        } }
    }}
    return out
}

/// How ``Seq2Seq/translate(_:options:)`` searches.
public struct DecodingOptions: Sendable {
    /// 1: greedy; more: beam search of that width.
    public var beam = 5
    /// How many hypotheses to return per sentence (at most `beam`).
    public var nBest = 1
    /// Length normalisation: scores are `log p / length^alpha` (0: none).
    public var alpha = 0.6
    /// The longest output is `ratio * source length + extra` tokens.
    public var maxLengthRatio = 1.5
    /// The words added to the ratio's limit (see ``maxLengthRatio``).
    public var maxLengthExtra = 5
    /// Sentences decoded together.
    public var batch = 64

    /// The defaults: beam 5, one hypothesis, `alpha` 0.6, at most `1.5 n + 5` words.
    public init() {}

    /// The output length limit for a source of `n` words.
    /// (At most 10,000, whatever the ratio.)
    public func maxLength(sourceWords n: Int) -> Int {
        Int(min((maxLengthRatio * Double(n)).rounded(.up), 10_000)) + min(max(maxLengthExtra, 0), 10_000)
    }
}

extension Seq2Seq {
    /// Translates tokenized sentences. Returns for each sentence up to `nBest`
    /// hypotheses (target words and score), best first.
    public func translate(_ sentences: [[String]], options: DecodingOptions, control: PassControl? = nil) -> [[(words: [String], score: Double)]] {
        precondition(options.beam >= 1 && options.nBest >= 1 && options.batch >= 1, "Seq2Seq.translate: beam, n-best and batch must be positive")
        var out: [[(words: [String], score: Double)]] = []
        let starts = Array(stride(from: 0, to: sentences.count, by: options.batch))
        control.forEach(starts) { start in
            let chunk = Array(sentences[start..<min(start + options.batch, sentences.count)])
            let ids = chunk.map(sourceIDs)
            let decoder = Seq2SeqDecoder(model: self, sources: ids)
            let limits = ids.map { options.maxLength(sourceWords: $0.count - 1) }      // in units, without <eos>
            if options.beam == 1 {
                out += decoder.greedy(maxLengths: limits).map { [(words: words($0.tokens.map(target.token)), score: 0)] }
            } else {
                let search = BeamSearch(width: options.beam, maxLength: limits.max() ?? 0, endToken: Self.eosID, lengthPenalty: options.alpha)
                let found = search.search(decoder, from: decoder.initialState, first: Array(repeating: Self.bosID, count: chunk.count),
                                          maxLengths: limits)
                out += found.map { hs in hs.prefix(options.nBest).map { (words: words($0.tokens.map(target.token)), score: $0.score) } }
            }
        }
        return out
    }

    /// The attention weights of `target` words given `source` words under teacher
    /// forcing: one row per target unit and one for `<eos>`, each over the source
    /// units and `<eos>` (units: ``units(_:)``, the words or their subword pieces).
    public func alignment(source: [String], target: [String]) -> [[Float]] {
        var rng = SeededRNG(seed: 0)
        let targetIDs = targetIDs(target)
        let r = loss(sources: [sourceIDs(source)], targets: [targetIDs], rng: &rng)
        let S = units(source).count + 1
        return (0...targetIDs.count).map { t in Array(r.outputs.weights.scalars[(t * S)..<((t + 1) * S)]) }
    }
}
