/// Inverted dropout: in training each element is zeroed with probability `p`
/// and the rest scaled by `1 / (1 - p)`, so evaluation needs no rescaling.
public struct Dropout: Sendable {
    public let probability: Float

    /// The mask applied, `0` or `1 / (1 - p)` per element; nil when nothing was dropped.
    public struct Trace { public let mask: Tensor? }

    public init(probability: Float) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
    }

    /// Applies dropout when `training` and `p > 0`; otherwise returns `x` unchanged.
    public func forward(_ x: Tensor, training: Bool, rng: inout SeededRNG) -> (output: Tensor, trace: Trace) {
        guard training && probability > 0 else { return (x, Trace(mask: nil)) }
        let keep = 1 - probability, scale = 1 / keep
        var mask = Tensor.zeros(x.shape)
        var y = x
        for i in 0..<x.count {
            let m: Float = rng.nextUnitFloat() < keep ? scale : 0
            mask.scalars[i] = m
            y.scalars[i] *= m
        }
        return (y, Trace(mask: mask))
    }

    /// `dx = dy * mask`.
    public func backward(_ trace: Trace, gradOutput dy: Tensor) -> Tensor {
        guard let mask = trace.mask else { return dy }
        var dx = dy
        for i in 0..<dx.count { dx.scalars[i] *= mask.scalars[i] }
        return dx
    }
}
