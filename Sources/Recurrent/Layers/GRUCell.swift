import CKernels
import Foundation

/// The GRU cell (PyTorch `nn.GRU`), gate order r, z, n, each a block of `H` columns:
///
///     r  = σ(W_ir x + b_ir + W_hr h + b_hr)           reset gate
///     z  = σ(W_iz x + b_iz + W_hz h + b_hz)           update gate
///     hn = W_hn h + b_hn
///     n  = tanh(W_in x + b_in + r ⊙ hn)               candidate
///     h' = (1 - z) ⊙ n + z ⊙ h
///
/// Backward, with `dh` the total gradient for `h'`:
///
///     dn_pre = dh ⊙ (1 - z) ⊙ (1 - n²)        input side: dn_pre;  hidden side: dn_pre ⊙ r
///     dr_pre = dn_pre ⊙ hn ⊙ r(1 - r)
///     dz_pre = dh ⊙ (h - n) ⊙ z(1 - z)
///     dh_{t-1} = dh ⊙ z  +  (what W_hh carries)
///
/// The time loop runs the fused kernel (`ck_gru_forward`/`ck_gru_backward`
/// in CKernels/cells.c); the reference steps below spell the same equations
/// out in plain Swift, the oracle the kernel and the layer are tested against.
enum GRUCell {
    // MARK: - The fused kernel, for the units j0..<j0+w of every row (see CellStep)

    static func forward(_ s: CellStep, _ f: CellStep.Forward) {
        let H = s.H, G = 3 * H, w = s.w
        let hn = s.hn!, bhn = f.biasHN! + s.j0
        for b in 0..<s.B {
            let u = b * H + s.j0
            guard s.isActive(b) else {
                (f.hNext + u).update(from: s.hPrev + u, count: w)
                (f.y + u).update(repeating: 0, count: w)
                continue
            }
            // r, z, hn = W_hn h + b_hn, n and h' as above.
            ck_gru_forward(CPU.isa, w, s.gates + b * G + s.j0, H, f.bias.map { $0 + s.j0 }, f.hp + b * 3 * w, bhn, s.hPrev + u,
                           hn + u, f.hNext + u, f.y + u)
        }
    }

    static func backward(_ s: CellStep, _ g: CellStep.Gradients) {
        let H = s.H, G = 3 * H, w = s.w
        let hn = s.hn!
        for b in 0..<s.B {
            let u = b * H + s.j0, dx = g.dXp + b * G + s.j0, dhp = g.dHp + b * G + s.j0
            guard s.isActive(b) else {
                for gate in 0..<3 {
                    (dx + gate * H).update(repeating: 0, count: w)
                    (dhp + gate * H).update(repeating: 0, count: w)
                }
                continue
            }
            // The equations above, with dh + dy for dh; dh leaves as its direct part, dh ⊙ z.
            ck_gru_backward(CPU.isa, w, s.gates + b * G + s.j0, H, s.hPrev + u, hn + u, g.dy + u, g.dh + u, dx, dhp)
        }
    }

    // MARK: - Reference step, one row in plain Swift

    static func referenceForward(xp: [Float], hp: [Float], h: [Float]) -> ReferenceStep {
        let H = h.count
        var s = ReferenceStep(gates: xp, h: h, hn: h)
        for j in 0..<H {
            let r = referenceSigmoid(xp[j] + hp[j])
            let z = referenceSigmoid(xp[H + j] + hp[H + j])
            s.hn[j] = hp[2 * H + j]
            let n = Foundation.tanh(xp[2 * H + j] + r * s.hn[j])
            (s.gates[j], s.gates[H + j], s.gates[2 * H + j]) = (r, z, n)
            s.h[j] = (1 - z) * n + z * h[j]
        }
        return s
    }

    static func referenceBackward(_ s: ReferenceStep, hPrev: [Float], dh: [Float]) -> ReferenceGradients {
        let H = dh.count
        var r = ReferenceGradients(dXp: s.gates, dHp: s.gates, dh: dh)
        for j in 0..<H {
            let rg = s.gates[j], z = s.gates[H + j], n = s.gates[2 * H + j]
            let dnPre = dh[j] * (1 - z) * (1 - n * n)
            let drPre = dnPre * s.hn[j] * rg * (1 - rg)
            let dzPre = dh[j] * (hPrev[j] - n) * z * (1 - z)
            (r.dXp[j], r.dXp[H + j], r.dXp[2 * H + j]) = (drPre, dzPre, dnPre)
            (r.dHp[j], r.dHp[H + j], r.dHp[2 * H + j]) = (drPre, dzPre, dnPre * rg)
            r.dh[j] = dh[j] * z
        }
        return r
    }
}
