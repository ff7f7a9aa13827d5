/// Inverted dropout: in training each element is zeroed with probability `p`
/// and the rest scaled by `1 / (1 - p)`, so evaluation needs no rescaling.
///
/// With `locked` (variational dropout, Gal & Ghahramani 2016; AWD-LSTM's
/// `LockedDropout`), a time-major `x` of `[T, B, F]` gets one mask of `[B, F]`
/// per batch, the same at every step `t`.
public struct Dropout: Sendable {
    /// `p`, the probability that an element is zeroed, in `[0, 1)`.
    public let probability: Float
    /// One mask per sequence, shared by all time steps of a `[T, B, F]` input.
    public let locked: Bool

    /// The mask applied, `0` or `1 / (1 - p)` per element; nil when nothing was dropped.
    public struct Trace { public let mask: Tensor? }

    /// Dropout with probability `p` (in `[0, 1)`); `locked` shares one mask over the steps of a sequence.
    public init(probability: Float, locked: Bool = false) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.locked = locked
    }

    /// Applies dropout when `training` and `p > 0`; otherwise returns `x` unchanged.
    /// A locked dropout draws `B*F` values for `x` of `[T, B, F]` and repeats them over `t`.
    public func forward(_ x: Tensor, training: Bool, rng: inout SeededRNG) -> (output: Tensor, trace: Trace) {
        guard training && probability > 0 else { return (x, Trace(mask: nil)) }
        let keep = 1 - probability, scale = 1 / keep
        var mask = Tensor.zeros(x.shape)
        let period = locked && x.rank == 3 ? x.shape[1] * x.shape[2] : x.count
        for i in 0..<min(period, x.count) {
            mask.scalars[i] = rng.nextUnitFloat() < keep ? scale : 0
        }
        if period > 0 {
            for i in period..<x.count { mask.scalars[i] = mask.scalars[i - period] }
        }
        return (Self.multiply(x, by: mask), Trace(mask: mask))
    }

    /// `dx = dy * mask`.
    public func backward(_ trace: Trace, gradOutput dy: Tensor) -> Tensor {
        guard let mask = trace.mask else { return dy }
        return Self.multiply(dy, by: mask)
    }

    /// `x * mask`, element by element (same shapes).
    static func multiply(_ x: Tensor, by mask: Tensor) -> Tensor {
        var y = x
        for i in 0..<y.count { y.scalars[i] *= mask.scalars[i] }
        return y
    }
}
