/// Embedding dropout (Gal & Ghahramani 2016; AWD-LSTM's `embedded_dropout`):
/// in training, whole words are dropped. Each distinct id of the batch keeps
/// its embedding row with probability `1 - p` (scaled by `1 / (1 - p)`) or
/// loses it entirely, at every position where it occurs: the same as masking
/// rows of the `[V, E]` table for the batch.
public struct EmbeddingDropout: Sendable {
    /// `p`, the probability that a word's row is dropped, in `[0, 1)`.
    public let probability: Float

    /// Embedding dropout with probability `p` (in `[0, 1)`).
    public init(probability: Float) {
        precondition(probability >= 0 && probability < 1, "EmbeddingDropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
    }

    /// `embedded` is `[S..., E]`, the rows looked up for `ids` (`S.product` ids).
    /// Returns the dropped rows and the mask (as ``Dropout``'s trace, for its backward).
    public func forward(_ embedded: Tensor, ids: [Int], training: Bool, rng: inout SeededRNG) -> (output: Tensor, trace: Dropout.Trace) {
        guard training && probability > 0, !ids.isEmpty else { return (embedded, Dropout.Trace(mask: nil)) }
        precondition(embedded.count % ids.count == 0, "EmbeddingDropout: \(embedded.shape) does not hold \(ids.count) rows")
        let E = embedded.count / ids.count, scale = 1 / (1 - probability)
        var wordScale: [Int: Float] = [:]
        var mask = Tensor.zeros(embedded.shape)
        for (n, id) in ids.enumerated() {
            let s: Float
            if let known = wordScale[id] {
                s = known
            } else {
                s = rng.nextUnitFloat() < 1 - probability ? scale : 0
                wordScale[id] = s
            }
            for j in 0..<E { mask.scalars[n * E + j] = s }
        }
        return (Dropout.multiply(embedded, by: mask), Dropout.Trace(mask: mask))
    }

    /// `d embedded = dy * mask`.
    public func backward(_ trace: Dropout.Trace, gradOutput dy: Tensor) -> Tensor {
        guard let mask = trace.mask else { return dy }
        return Dropout.multiply(dy, by: mask)
    }
}
