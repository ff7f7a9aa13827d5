/// The recurrent cells Recurrent implements, with PyTorch's gate layouts.
public enum CellKind: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Elman RNN, `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (PyTorch `nn.RNN`, the default).
    case rnnTanh = "rnn_tanh"
    /// Elman RNN with ReLU, `h' = relu(...)` (PyTorch `nn.RNN(nonlinearity="relu")`).
    case rnnRelu = "rnn_relu"
    /// Long short-term memory, gates i, f, g, o (PyTorch `nn.LSTM`).
    case lstm
    /// Gated recurrent unit, gates r, z, n (PyTorch `nn.GRU`).
    case gru

    /// `G`, the number of gate blocks stacked in `weight_ih` and `weight_hh` (`[G*H, ...]`).
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a memory cell `c` beside `h`.
    public var hasCellState: Bool { self == .lstm }

    public var description: String {
        switch self {
        case .rnnTanh: return "RNN(tanh)"
        case .rnnRelu: return "RNN(relu)"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        }
    }
}

extension CellKind {
    /// Runs this cell's pointwise forward step.
    func forward(_ step: CellStep) {
        switch self {
        case .rnnTanh: RNNCell.forward(step, relu: false)
        case .rnnRelu: RNNCell.forward(step, relu: true)
        case .lstm: LSTMCell.forward(step)
        case .gru: GRUCell.forward(step)
        }
    }

    /// Runs this cell's pointwise backward step.
    func backward(_ step: CellBackStep) {
        switch self {
        case .rnnTanh: RNNCell.backward(step, relu: false)
        case .rnnRelu: RNNCell.backward(step, relu: true)
        case .lstm: LSTMCell.backward(step)
        case .gru: GRUCell.backward(step)
        }
    }
}

/// The buffers one time step of a cell reads and writes, for a batch of `B`
/// rows and hidden size `H`. A step computes the hidden units `j0..<j0+w`
/// (all of them, or one thread's share when the layer splits its units over
/// threads). Rows `b` with `t >= lengths[b]` are padding: the state passes
/// through unchanged and the output row is zero.
struct CellStep {
    var B: Int
    var H: Int
    /// Time index of this step, compared with `lengths`.
    var t: Int
    /// Per-row sequence lengths, or nil when every row is active.
    var lengths: UnsafePointer<Int>?
    /// The first unit this step computes, and how many.
    var j0: Int
    var w: Int
    /// `[B, G*H]`: in, the input projection `W_ih x_t` (plus `bias` when that
    /// is nil); out, the gate activations.
    var gates: UnsafeMutablePointer<Float>
    /// `[G*H]`: `b_ih` plus `b_hh` where it adds straight into the
    /// pre-activation (every gate but the GRU's `n`), added by the cell; nil
    /// when `gates` already includes the biases.
    var bias: UnsafePointer<Float>?
    /// `[B, G*w]`: `W_hh h_{t-1}` for this step's units only, gate `γ` of unit
    /// `j0 + j` at column `γ*w + j`.
    var hp: UnsafePointer<Float>
    /// `[H]`: the GRU's `b_hn`, which sits inside the reset gate's product.
    var biasHN: UnsafePointer<Float>?
    /// `[B, H]`: the state before and after the step.
    var hPrev: UnsafePointer<Float>
    var hNext: UnsafeMutablePointer<Float>
    /// `[B, H]`: the LSTM memory cell before and after the step.
    var cPrev: UnsafePointer<Float>?
    var cNext: UnsafeMutablePointer<Float>?
    /// `[B, H]`: the GRU's `W_hn h_{t-1} + b_hn`, kept for backward.
    var hn: UnsafeMutablePointer<Float>?
    /// `[B, H]`: the step's output (`h'` for active rows, zero for padding).
    var y: UnsafeMutablePointer<Float>

    @inline(__always) func isActive(_ b: Int) -> Bool { lengths.map { t < $0[b] } ?? true }
}

/// The buffers one backward step of a cell reads and writes, for the hidden
/// units `j0..<j0+w`; every buffer has the full layout (`[B, H]` or `[B, G*H]`).
struct CellBackStep {
    var B: Int
    var H: Int
    var t: Int
    var lengths: UnsafePointer<Int>?
    var j0: Int
    var w: Int
    /// `[B, G*H]`: the gate activations saved by forward.
    var gates: UnsafePointer<Float>
    var hPrev: UnsafePointer<Float>
    /// `[B, H]`: the step's output as forward wrote it.
    var y: UnsafePointer<Float>
    var cPrev: UnsafePointer<Float>?
    var cNext: UnsafePointer<Float>?
    var hn: UnsafePointer<Float>?
    /// `[B, H]`: the gradient flowing into this step's output.
    var dy: UnsafePointer<Float>
    /// `[B, H]`: in, the gradient of the loss with respect to `h_t` from later
    /// steps; out, the part of the gradient for `h_{t-1}` that does not pass
    /// through `W_hh` (the layer adds `dHp W_hh` afterwards).
    var dh: UnsafeMutablePointer<Float>
    /// `[B, H]`: in, the gradient for `c_t`; out, the gradient for `c_{t-1}`.
    var dc: UnsafeMutablePointer<Float>?
    /// `[B, G*H]`: out, the gradient for the input projection.
    var dXp: UnsafeMutablePointer<Float>
    /// `[B, G*H]`: out, the gradient for the hidden projection (the same buffer
    /// as `dXp` for cells where the two are equal).
    var dHp: UnsafeMutablePointer<Float>

    @inline(__always) func isActive(_ b: Int) -> Bool { lengths.map { t < $0[b] } ?? true }
}
