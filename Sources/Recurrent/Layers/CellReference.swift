import Foundation

/// One batch row's forward step computed by a cell's plain-Swift reference
/// (``RNNCell``, ``LSTMCell``, ``GRUCell``): no kernels, one unit at a time,
/// as the equations read. The tests hold the fused kernels and the whole
/// layer to it. Vectors of `H` floats, gates `G*H`.
struct ReferenceStep {
    /// `[G*H]`: the gate activations in PyTorch's order (the Elman cell's one block is `h'`).
    var gates: [Float]
    /// `[H]`: the state after the step, `h'`.
    var h: [Float]
    /// `[H]`: the LSTM memory after the step, `c'` (empty for other cells).
    var c: [Float] = []
    /// `[H]`: the GRU's `W_hn h + b_hn` (empty for other cells).
    var hn: [Float] = []
}

/// What one reference backward step returns.
struct ReferenceGradients {
    /// `[G*H]`: the gradient for the input projection `W_ih x + b_ih`.
    var dXp: [Float]
    /// `[G*H]`: the gradient for the hidden projection `W_hh h + b_hh`.
    var dHp: [Float]
    /// `[H]`: the part of the gradient for `h` that does not pass through `W_hh`.
    var dh: [Float]
    /// `[H]`: the gradient for `c` (LSTM; empty for other cells).
    var dc: [Float] = []
}

extension CellKind {
    /// The reference forward step for one row: `xp = W_ih x + b_ih` and
    /// `hp = W_hh h + b_hh` (`[G*H]` each, biases included), `h` and (LSTM) `c` the state before.
    func referenceForward(xp: [Float], hp: [Float], h: [Float], c: [Float]) -> ReferenceStep {
        switch self {
        case .rnnTanh, .rnnRelu: return RNNCell.referenceForward(xp: xp, hp: hp, relu: self == .rnnRelu)
        case .lstm: return LSTMCell.referenceForward(xp: xp, hp: hp, c: c)
        case .gru: return GRUCell.referenceForward(xp: xp, hp: hp, h: h)
        }
    }

    /// The reference backward step for one row: `step` is what
    /// ``referenceForward(xp:hp:h:c:)`` returned, `hPrev`/`cPrev` the state it
    /// started from, `dh` the total gradient for `h'` and `dc` the gradient for `c'`.
    func referenceBackward(_ step: ReferenceStep, hPrev: [Float], cPrev: [Float], dh: [Float], dc: [Float]) -> ReferenceGradients {
        switch self {
        case .rnnTanh, .rnnRelu: return RNNCell.referenceBackward(step, dh: dh, relu: self == .rnnRelu)
        case .lstm: return LSTMCell.referenceBackward(step, cPrev: cPrev, dh: dh, dc: dc)
        case .gru: return GRUCell.referenceBackward(step, hPrev: hPrev, dh: dh)
        }
    }
}

/// `σ(x) = 1 / (1 + e^-x)` in plain Swift, for the reference steps.
func referenceSigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
