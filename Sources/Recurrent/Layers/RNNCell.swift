/// The Elman cell: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`, `act` tanh or ReLU.
enum RNNCell {
    static func forward(_ s: CellStep, relu: Bool) {
        let H = s.H
        for b in 0..<s.B {
            let y = s.y + b * H, hNext = s.hNext + b * H
            guard s.isActive(b) else {
                hNext.update(from: s.hPrev + b * H, count: H)
                y.update(repeating: 0, count: H)
                continue
            }
            let a = s.gates + b * H, hp = s.hp + b * H
            for j in 0..<H { a[j] += hp[j] }                  // pre-activation
            if relu { Pointwise.relu(a, a, H) } else { Pointwise.tanh(a, a, H) }
            hNext.update(from: a, count: H)
            y.update(from: a, count: H)
        }
    }

    /// `da = dh * act'(a)`: `1 - h'^2` for tanh, `[h' > 0]` for ReLU.
    /// `W_hh` carries all of `dh_{t-1}`, so `dh` leaves as zero for active rows.
    static func backward(_ s: CellBackStep, relu: Bool) {
        let H = s.H
        for b in 0..<s.B {
            let dh = s.dh + b * H, da = s.dXp + b * H
            guard s.isActive(b) else {
                da.update(repeating: 0, count: H)           // dh passes through unchanged
                continue
            }
            let h = s.y + b * H, dy = s.dy + b * H
            for j in 0..<H {
                let g = dh[j] + dy[j]
                da[j] = relu ? (h[j] > 0 ? g : 0) : g * (1 - h[j] * h[j])
                dh[j] = 0
            }
        }
    }
}
