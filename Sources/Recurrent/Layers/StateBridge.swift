/// A learned map from a condition vector to a recurrent stack's initial state:
/// `s = tanh(W z + b)`, read as `h_0` (and `c_0` for LSTM) of every layer.
///
/// Shapes: `z` is `[B, Z]`; `W` (`linear.weight`) is `[S*L*H, Z]` with `S = 2`
/// for LSTM (h then c) and `1` otherwise; row `b` of `s` holds
/// `h_0[l, b, :]` at `(0*L + l)*H` and `c_0[l, b, :]` at `(1*L + l)*H`.
/// The PyTorch equivalent is `torch.tanh(linear(z)).view(B, S, L, H).permute(1, 2, 0, 3)`.
public final class StateBridge: Layer {
    /// `Z`, the size of each condition vector.
    public let conditionSize: Int
    /// `L`, the layers of the stack it starts.
    public let layers: Int
    /// `H`, the stack's hidden size.
    public let hiddenSize: Int
    /// Whether it also gives `c_0` (an LSTM stack).
    public let hasCellState: Bool
    /// The linear map `Z -> S*L*H` inside the `tanh`.
    public let linear: Linear

    /// What ``backward(_:gradInitial:)`` needs: the linear layer's trace and `s`.
    public struct Trace {
        let linear: Linear.Trace
        let s: Tensor
    }

    /// `S`: 2 when the cell has a memory cell (LSTM), else 1.
    var stateCount: Int { hasCellState ? 2 : 1 }

    /// A bridge to an `L`-layer stack of `H` units; initialised as PyTorch's `nn.Linear`.
    public init(conditionSize: Int, layers: Int, hiddenSize: Int, hasCellState: Bool, rng: inout SeededRNG) {
        self.conditionSize = conditionSize
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.hasCellState = hasCellState
        linear = Linear(inputSize: conditionSize, outputSize: (hasCellState ? 2 : 1) * layers * hiddenSize, rng: &rng)
    }

    /// `weight` and `bias` of ``linear``.
    public var namedParameters: [(name: String, parameter: Parameter)] { linear.namedParameters }

    /// The initial state `[L, B, H]` (and `c`) for a batch of conditions `z` (`[B, Z]`).
    public func forward(_ z: Tensor) -> (state: RecurrentState, trace: Trace) {
        let a = linear.forward(z)
        var s = a.output
        s.withUnsafeMutableBufferPointer { p in Pointwise.tanh(p.baseAddress!, p.baseAddress!, p.count) }
        let B = z.shape[0], L = layers, H = hiddenSize
        var h = Tensor.zeros([L, B, H])
        var c: Tensor? = hasCellState ? Tensor.zeros([L, B, H]) : nil
        s.withUnsafeBufferPointer { ps in
            let row = stateCount * L * H
            h.withUnsafeMutableBufferPointer { ph in
                for l in 0..<L { for b in 0..<B {
                    (ph.baseAddress! + (l * B + b) * H).update(from: ps.baseAddress! + b * row + l * H, count: H)
                } }
            }
            if c != nil {
                c!.withUnsafeMutableBufferPointer { pc in
                    for l in 0..<L { for b in 0..<B {
                        (pc.baseAddress! + (l * B + b) * H).update(from: ps.baseAddress! + b * row + (L + l) * H, count: H)
                    } }
                }
            }
        }
        return (RecurrentState(h: h, c: c), Trace(linear: a.trace, s: s))
    }

    /// Adds the parameter gradients for `dh_0` (and `dc_0`), each `[L, B, H]`;
    /// returns `dz` (`[B, Z]`). Through the tanh: `da = ds * (1 - s^2)`.
    public func backward(_ trace: Trace, gradInitial: RecurrentState) -> Tensor {
        let s = trace.s, B = s.shape[0], L = layers, H = hiddenSize, row = stateCount * L * H
        var da = Tensor.zeros(s.shape)
        da.withUnsafeMutableBufferPointer { pd in
            s.withUnsafeBufferPointer { ps in
                gradInitial.h.withUnsafeBufferPointer { ph in
                    for l in 0..<L { for b in 0..<B {
                        (pd.baseAddress! + b * row + l * H).update(from: ph.baseAddress! + (l * B + b) * H, count: H)
                    } }
                }
                if hasCellState, let dc = gradInitial.c {
                    dc.withUnsafeBufferPointer { pc in
                        for l in 0..<L { for b in 0..<B {
                            (pd.baseAddress! + b * row + (L + l) * H).update(from: pc.baseAddress! + (l * B + b) * H, count: H)
                        } }
                    }
                }
                for i in 0..<pd.count { pd[i] *= 1 - ps[i] * ps[i] }
            }
        }
        return linear.backward(trace.linear, gradOutput: da)
    }
}
