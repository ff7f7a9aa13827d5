/// A lookup table from token ids to vectors, as PyTorch's `nn.Embedding`.
///
/// Shapes: `weight` is `[V, E]`; ids of any shape `S` give `[S..., E]`.
/// Initialised as PyTorch does, N(0, 1), or uniformly in `[-uniformScale, uniformScale]`
/// (Zaremba et al. 2014 and PyTorch's word-level example use 0.1).
public final class Embedding: Layer {
    /// `V`, the number of rows.
    public let vocabularySize: Int
    /// `E`, the size of each vector.
    public let embeddingSize: Int
    /// `[V, E]`
    public let weight: Parameter

    /// What ``backward(_:gradOutput:)`` needs: the ids looked up.
    public struct Trace { public let ids: [Int] }

    /// A `[V, E]` table drawn from N(0, 1), as PyTorch's `nn.Embedding` is initialised, or from
    /// U(-uniformScale, uniformScale) when given.
    public init(vocabularySize: Int, embeddingSize: Int, rng: inout SeededRNG, uniformScale: Float? = nil) {
        precondition(vocabularySize > 0 && embeddingSize > 0,
                     "Embedding(\(vocabularySize), \(embeddingSize)) needs positive sizes")
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        weight = Parameter(uniformScale.map { .uniform([vocabularySize, embeddingSize], low: -$0, high: $0, rng: &rng) }
                           ?? .normal([vocabularySize, embeddingSize], rng: &rng))
    }

    /// `weight`, as PyTorch names it.
    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Replaces the rows `ids` of the weight with the same rows of `vectors` `[V, E]` (pretrained word vectors).
    public func copyRows(_ ids: [Int], from vectors: Tensor) {
        precondition(vectors.shape == weight.shape, "Embedding(\(vocabularySize), \(embeddingSize)): vectors of shape \(vectors.shape)")
        let E = embeddingSize
        for id in ids { weight.value.scalars.replaceSubrange((id * E)..<((id + 1) * E), with: vectors.scalars[(id * E)..<((id + 1) * E)]) }
    }

    /// Looks up each id; `ids` holds `shape.product` ids in row-major order.
    public func forward(ids: [Int], shape: [Int]) -> (output: Tensor, trace: Trace) {
        precondition(shape.reduce(1, *) == ids.count, "Embedding: \(ids.count) ids do not fill shape \(shape)")
        let E = embeddingSize
        var y = Tensor.zeros(shape + [E])
        weight.value.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                for (n, id) in ids.enumerated() {
                    precondition(id >= 0 && id < vocabularySize,
                                 "Embedding(\(vocabularySize), \(E)) got id \(id) outside 0..<\(vocabularySize)")
                    (py.baseAddress! + n * E).update(from: pw.baseAddress! + id * E, count: E)
                }
            }
        }
        return (y, Trace(ids: ids))
    }

    /// Adds each row of `dy` (`[S..., E]`) into the gradient row of its id.
    public func backward(_ trace: Trace, gradOutput dy: Tensor) {
        precondition(dy.count == trace.ids.count * embeddingSize,
                     "Embedding backward expects \(trace.ids.count) x \(embeddingSize) gradients, got \(dy.shape)")
        let E = embeddingSize
        dy.withUnsafeBufferPointer { pdy in
            weight.grad.withUnsafeMutableBufferPointer { pdw in
                for (n, id) in trace.ids.enumerated() {
                    let src = pdy.baseAddress! + n * E, dst = pdw.baseAddress! + id * E
                    for j in 0..<E { dst[j] += src[j] }
                }
            }
        }
    }
}
