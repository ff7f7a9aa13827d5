import CKernels

/// The Elman cell: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`, `act` tanh or ReLU.
/// Both steps work on the units `j0..<j0+w` of every row (see ``CellStep``).
enum RNNCell {
    static func forward(_ s: CellStep, relu: Bool) {
        let H = s.H, w = s.w
        for b in 0..<s.B {
            let u = b * H + s.j0
            let y = s.y + u, hNext = s.hNext + u
            guard s.isActive(b) else {
                hNext.update(from: s.hPrev + u, count: w)
                y.update(repeating: 0, count: w)
                continue
            }
            // Fused in CKernels (cells.c): h' = act(Xp + bias + Hp), written to the gates, h' and y.
            ck_rnn_forward(CPU.isa, w, relu ? 1 : 0, s.gates + u, s.bias.map { $0 + s.j0 }, s.hp + b * w, hNext, y)
        }
    }

    /// `da = dh * act'(a)`: `1 - h'^2` for tanh, `[h' > 0]` for ReLU.
    /// `W_hh` carries all of `dh_{t-1}`, so `dh` leaves as zero for active rows.
    static func backward(_ s: CellBackStep, relu: Bool) {
        let H = s.H, w = s.w
        for b in 0..<s.B {
            let u = b * H + s.j0
            let dh = s.dh + u, da = s.dXp + u
            guard s.isActive(b) else {
                da.update(repeating: 0, count: w)           // dh passes through unchanged
                continue
            }
            // Fused in CKernels (cells.c), the equation above per unit.
            ck_rnn_backward(CPU.isa, w, relu ? 1 : 0, s.y + u, s.dy + u, dh, da)
        }
    }
}
