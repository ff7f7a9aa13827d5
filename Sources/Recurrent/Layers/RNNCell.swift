import CKernels
import Foundation

/// The Elman cell (PyTorch `nn.RNN`), one block of `H` columns:
///
///     a  = W_ih x + b_ih + W_hh h + b_hh
///     h' = act(a)                             act = tanh, or ReLU
///
/// Backward, with `dh` the total gradient for `h'` (from the output and from later steps):
///
///     da = dh ⊙ act'(a)                       tanh: 1 - h'²;  ReLU: [h' > 0]
///     dXp = dHp = da                          W_hh carries all of dh_{t-1}
///
/// The time loop runs the fused kernel (`ck_rnn_forward`/`ck_rnn_backward`
/// in CKernels/cells.c); the reference steps below spell the same equations
/// out in plain Swift, the oracle the kernel and the layer are tested against.
enum RNNCell {
    // MARK: - The fused kernel, for the units j0..<j0+w of every row (see CellStep)

    static func forward(_ s: CellStep, _ f: CellStep.Forward, relu: Bool) {
        let H = s.H, w = s.w
        for b in 0..<s.B {
            let u = b * H + s.j0
            guard s.isActive(b) else {
                (f.hNext + u).update(from: s.hPrev + u, count: w)
                (f.y + u).update(repeating: 0, count: w)
                continue
            }
            // h' = act(Xp + bias + Hp), written to the gates, h' and y.
            ck_rnn_forward(CPU.isa, w, relu ? 1 : 0, s.gates + u, f.bias.map { $0 + s.j0 }, f.hp + b * w, f.hNext + u, f.y + u)
        }
    }

    /// Reads `h'` from the gates, where forward left it (equal to the output for active rows).
    static func backward(_ s: CellStep, _ g: CellStep.Gradients, relu: Bool) {
        let H = s.H, w = s.w
        for b in 0..<s.B {
            let u = b * H + s.j0
            guard s.isActive(b) else {
                (g.dXp + u).update(repeating: 0, count: w)      // dh passes through unchanged
                continue
            }
            // da = (dh + dy) ⊙ act'(a); dh leaves as zero.
            ck_rnn_backward(CPU.isa, w, relu ? 1 : 0, s.gates + u, g.dy + u, g.dh + u, g.dXp + u)
        }
    }

    // MARK: - Reference step, one row in plain Swift

    static func referenceForward(xp: [Float], hp: [Float], relu: Bool) -> ReferenceStep {
        let h = zip(xp, hp).map { x, h in
            let a = x + h
            return relu ? (a.isNaN ? a : max(a, 0)) : Foundation.tanh(a)
        }
        return ReferenceStep(gates: h, h: h)
    }

    static func referenceBackward(_ s: ReferenceStep, dh: [Float], relu: Bool) -> ReferenceGradients {
        let da = zip(dh, s.h).map { g, h in relu ? (h > 0 ? g : 0) : g * (1 - h * h) }
        return ReferenceGradients(dXp: da, dHp: da, dh: [Float](repeating: 0, count: dh.count))
    }
}
