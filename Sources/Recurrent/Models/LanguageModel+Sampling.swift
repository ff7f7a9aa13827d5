import Foundation

/// How to pick each generated token from the model's distribution.
public struct SamplingOptions: Sendable {
    /// Divides the logits: below 1 sharpens, above 1 flattens.
    public var temperature: Float = 1
    /// Keep only the `k` most likely tokens (nil keeps all).
    public var topK: Int? = nil
    /// Always take the most likely token (greedy decoding).
    public var argmax = false

    public init(temperature: Float = 1, topK: Int? = nil, argmax: Bool = false) {
        self.temperature = temperature
        self.topK = topK
        self.argmax = argmax
    }
}

extension LanguageModel {
    /// Encodes `text` with the model's vocabulary; characters (or words) it never
    /// saw are an error at character level and `<unk>` at word level.
    public func encode(_ text: String) throws -> [Int] {
        try config.level.tokens(text).map { token in
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
        let feed = prime.isEmpty ? [start] : prime
        var state: RecurrentState? = nil
        var logits = Tensor.zeros([1, config.vocabularySize])
        for id in feed { (logits, state) = stepLogits(id, state) }
        for _ in 0..<length {
            let next = pick(logits, options, &rng)
            emit(next)
            (logits, state) = stepLogits(next, state)
        }
    }

    /// One token in, the logits for the next and the new state out (batch 1, no dropout).
    func stepLogits(_ id: Int, _ state: RecurrentState?) -> (Tensor, RecurrentState) {
        let e = embedding.forward(ids: [id], shape: [1, 1]).output
        let r = rnn.forward(e, initial: state)
        let logits = head.forward(r.output.reshaped([1, config.hiddenSize])).output
        return (logits, r.final)
    }

    func pick(_ logits: Tensor, _ options: SamplingOptions, _ rng: inout SeededRNG) -> Int {
        let V = logits.count
        if options.argmax { return logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] }! }
        var candidates = Array(0..<V)
        if let k = options.topK, k < V {
            candidates = Array(candidates.sorted { logits.scalars[$0] > logits.scalars[$1] }.prefix(max(1, k)))
        }
        let scaled = candidates.map { logits.scalars[$0] / options.temperature }
        let m = scaled.max()!
        let weights = scaled.map { Foundation.exp(Double($0 - m)) }
        var u = Double(rng.nextUnitFloat()) * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return candidates[i] }
        }
        return candidates.last!
    }
}
