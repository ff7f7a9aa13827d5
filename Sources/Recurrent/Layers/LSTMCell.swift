import CKernels
import Foundation

/// The LSTM cell (PyTorch `nn.LSTM`), gate order i, f, g, o, each a block of `H` columns:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      input gate
///     f = σ(W_if x + b_if + W_hf h + b_hf)      forget gate
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   candidate ("gate gate")
///     o = σ(W_io x + b_io + W_ho h + b_ho)      output gate
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// Backward, with `dh` the total gradient for `h'` and `dc` the gradient for `c'` from later steps:
///
///     dc  += dh ⊙ o ⊙ (1 - tanh²(c'))
///     di = dc ⊙ g,  df = dc ⊙ c,  dg = dc ⊙ i,  do = dh ⊙ tanh(c')
///     pre-activation gradients (dXp = dHp): σ' = s(1 - s), tanh' = 1 - g²
///     dc_{t-1} = dc ⊙ f;  W_hh carries all of dh_{t-1}
///
/// The time loop runs the fused kernel (`ck_lstm_forward`/`ck_lstm_backward`
/// in CKernels/cells.c); the reference steps below spell the same equations
/// out in plain Swift, the oracle the kernel and the layer are tested against.
enum LSTMCell {
    // MARK: - The fused kernel, for the units j0..<j0+w of every row (see CellStep)

    static func forward(_ s: CellStep, _ f: CellStep.Forward) {
        let H = s.H, G = 4 * H, w = s.w
        let cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let u = b * H + s.j0
            guard s.isActive(b) else {
                (f.hNext + u).update(from: s.hPrev + u, count: w)
                (cNext + u).update(from: cPrev + u, count: w)
                (f.y + u).update(repeating: 0, count: w)
                continue
            }
            // gates = act(Xp + bias + Hp), then c' and h' as above.
            ck_lstm_forward(CPU.isa, w, s.gates + b * G + s.j0, H, f.bias.map { $0 + s.j0 }, f.hp + b * 4 * w,
                            cPrev + u, cNext + u, f.hNext + u, f.y + u)
        }
    }

    static func backward(_ s: CellStep, _ g: CellStep.Gradients) {
        let H = s.H, G = 4 * H, w = s.w
        let dc = g.dc!, cPrev = s.cPrev!, cNext = s.cNext!
        for b in 0..<s.B {
            let u = b * H + s.j0, da = g.dXp + b * G + s.j0
            guard s.isActive(b) else {
                for gate in 0..<4 { (da + gate * H).update(repeating: 0, count: w) }  // dh and dc pass through
                continue
            }
            // The equations above, with dh + dy for dh; dh leaves as zero.
            ck_lstm_backward(CPU.isa, w, s.gates + b * G + s.j0, H, cPrev + u, cNext + u, g.dy + u, g.dh + u, dc + u, da)
        }
    }

    // MARK: - Reference step, one row in plain Swift

    static func referenceForward(xp: [Float], hp: [Float], c: [Float]) -> ReferenceStep {
        let H = c.count
        var s = ReferenceStep(gates: xp, h: c, c: c)
        for j in 0..<H {
            let i = referenceSigmoid(xp[j] + hp[j])
            let f = referenceSigmoid(xp[H + j] + hp[H + j])
            let g = Foundation.tanh(xp[2 * H + j] + hp[2 * H + j])
            let o = referenceSigmoid(xp[3 * H + j] + hp[3 * H + j])
            (s.gates[j], s.gates[H + j], s.gates[2 * H + j], s.gates[3 * H + j]) = (i, f, g, o)
            s.c[j] = f * c[j] + i * g
            s.h[j] = o * Foundation.tanh(s.c[j])
        }
        return s
    }

    static func referenceBackward(_ s: ReferenceStep, cPrev: [Float], dh: [Float], dc: [Float]) -> ReferenceGradients {
        let H = dh.count
        var r = ReferenceGradients(dXp: s.gates, dHp: [], dh: [Float](repeating: 0, count: H), dc: dc)
        for j in 0..<H {
            let i = s.gates[j], f = s.gates[H + j], g = s.gates[2 * H + j], o = s.gates[3 * H + j]
            let tc = Foundation.tanh(s.c[j])
            let dcj = dc[j] + dh[j] * o * (1 - tc * tc)
            r.dXp[j] = dcj * g * i * (1 - i)
            r.dXp[H + j] = dcj * cPrev[j] * f * (1 - f)
            r.dXp[2 * H + j] = dcj * i * (1 - g * g)
            r.dXp[3 * H + j] = dh[j] * tc * o * (1 - o)
            r.dc[j] = dcj * f
        }
        r.dHp = r.dXp
        return r
    }
}
