import CKernels

/// The LSTM cell, PyTorch gate order i, f, g, o (each a block of `H` columns):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      input gate
///     f = σ(W_if x + b_if + W_hf h + b_hf)      forget gate
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   candidate ("gate gate")
///     o = σ(W_io x + b_io + W_ho h + b_ho)      output gate
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// Both steps work on the units `j0..<j0+w` of every row (see ``CellStep``).
enum LSTMCell {
    static func forward(_ s: CellStep) {
        let H = s.H, G = 4 * H, w = s.w
        let cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let u = b * H + s.j0
            let y = s.y + u, hNext = s.hNext + u, c = cNext + u, cp = cPrev + u
            guard s.isActive(b) else {
                hNext.update(from: s.hPrev + u, count: w)
                c.update(from: cp, count: w)
                y.update(repeating: 0, count: w)
                continue
            }
            // Fused in CKernels (cells.c): gates = act(Xp + bias + Hp), c' and h' as above.
            ck_lstm_forward(CPU.isa, w, s.gates + b * G + s.j0, H, s.bias.map { $0 + s.j0 }, s.hp + b * 4 * w, cp, c, hNext, y)
        }
    }

    /// With `dh` the total gradient for `h'` and `dc` the gradient for `c'` from later steps:
    ///
    ///     dc  += dh ⊙ o ⊙ (1 - tanh²(c'))
    ///     do   = dh ⊙ tanh(c'),  di = dc ⊙ g,  dg = dc ⊙ i,  df = dc ⊙ c
    ///     pre-activation gradients: σ' = s(1 - s), tanh' = 1 - g²
    ///     dc_{t-1} = dc ⊙ f
    static func backward(_ s: CellBackStep) {
        let H = s.H, G = 4 * H, w = s.w
        let dcAll = s.dc!, cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let u = b * H + s.j0
            let dh = s.dh + u, dc = dcAll + u, da = s.dXp + b * G + s.j0
            guard s.isActive(b) else {
                for gate in 0..<4 { (da + gate * H).update(repeating: 0, count: w) }  // dh and dc pass through
                continue
            }
            // Fused in CKernels (cells.c), the equations above per unit.
            ck_lstm_backward(CPU.isa, w, s.gates + b * G + s.j0, H, cPrev + u, cNext + u, s.dy + u, dh, dc, da)
        }
    }
}
