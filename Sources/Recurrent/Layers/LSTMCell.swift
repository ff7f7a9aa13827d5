/// The LSTM cell, PyTorch gate order i, f, g, o (each a block of `H` columns):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      input gate
///     f = σ(W_if x + b_if + W_hf h + b_hf)      forget gate
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   candidate ("gate gate")
///     o = σ(W_io x + b_io + W_ho h + b_ho)      output gate
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
enum LSTMCell {
    static func forward(_ s: CellStep) {
        let H = s.H, G = 4 * H
        let cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let y = s.y + b * H, hNext = s.hNext + b * H, c = cNext + b * H, cp = cPrev + b * H
            guard s.isActive(b) else {
                hNext.update(from: s.hPrev + b * H, count: H)
                c.update(from: cp, count: H)
                y.update(repeating: 0, count: H)
                continue
            }
            let a = s.gates + b * G, hp = s.hp + b * G
            for j in 0..<G { a[j] += hp[j] }
            let i = a, f = a + H, g = a + 2 * H, o = a + 3 * H
            Pointwise.sigmoid(i, i, 2 * H)                   // i and f
            Pointwise.tanh(g, g, H)
            Pointwise.sigmoid(o, o, H)
            for j in 0..<H { c[j] = f[j] * cp[j] + i[j] * g[j] }
            Pointwise.tanh(c, hNext, H)
            for j in 0..<H { hNext[j] *= o[j] }
            y.update(from: hNext, count: H)
        }
    }

    /// With `dh` the total gradient for `h'` and `dc` the gradient for `c'` from later steps:
    ///
    ///     dc  += dh ⊙ o ⊙ (1 - tanh²(c'))
    ///     do   = dh ⊙ tanh(c'),  di = dc ⊙ g,  dg = dc ⊙ i,  df = dc ⊙ c
    ///     pre-activation gradients: σ' = s(1 - s), tanh' = 1 - g²
    ///     dc_{t-1} = dc ⊙ f
    static func backward(_ s: CellBackStep) {
        let H = s.H, G = 4 * H
        let dcAll = s.dc!, cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let dh = s.dh + b * H, dc = dcAll + b * H, da = s.dXp + b * G
            guard s.isActive(b) else {
                da.update(repeating: 0, count: G)           // dh and dc pass through unchanged
                continue
            }
            let a = s.gates + b * G
            let i = a, f = a + H, g = a + 2 * H, o = a + 3 * H
            let dy = s.dy + b * H, c = cNext + b * H, cp = cPrev + b * H
            let tc = da + 3 * H                              // borrow the do block for tanh(c')
            Pointwise.tanh(c, tc, H)
            for j in 0..<H {
                let dhj = dh[j] + dy[j]
                let dcj = dc[j] + dhj * o[j] * (1 - tc[j] * tc[j])
                da[j] = dcj * g[j] * i[j] * (1 - i[j])                     // i
                da[H + j] = dcj * cp[j] * f[j] * (1 - f[j])                // f
                da[2 * H + j] = dcj * i[j] * (1 - g[j] * g[j])             // g
                da[3 * H + j] = dhj * tc[j] * o[j] * (1 - o[j])            // o
                dc[j] = dcj * f[j]
                dh[j] = 0
            }
        }
    }
}
