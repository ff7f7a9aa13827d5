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
            let a = s.gates + u, hp = s.hp + b * w
            for j in 0..<w { a[j] += hp[j] }                  // pre-activation
            if relu { Pointwise.relu(a, a, w) } else { Pointwise.tanh(a, a, w) }
            hNext.update(from: a, count: w)
            y.update(from: a, count: w)
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
            let h = s.y + u, dy = s.dy + u
            for j in 0..<w {
                let g = dh[j] + dy[j]
                da[j] = relu ? (h[j] > 0 ? g : 0) : g * (1 - h[j] * h[j])
                dh[j] = 0
            }
        }
    }
}
