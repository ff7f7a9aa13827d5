import CKernels

/// The GRU cell, PyTorch gate order r, z, n (each a block of `H` columns):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)           reset gate
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)           update gate
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   candidate
///     h' = (1 - z) ⊙ n + z ⊙ h
///
/// Both steps work on the units `j0..<j0+w` of every row (see ``CellStep``).
enum GRUCell {
    static func forward(_ s: CellStep) {
        let H = s.H, G = 3 * H, w = s.w
        let hnAll = s.hn!, bhn = s.biasHN! + s.j0
        for b in 0..<s.B {
            let u = b * H + s.j0
            let y = s.y + u, hNext = s.hNext + u, hPrev = s.hPrev + u
            guard s.isActive(b) else {
                hNext.update(from: hPrev, count: w)
                y.update(repeating: 0, count: w)
                continue
            }
            // Fused in CKernels (cells.c): r, z, hn = W_hn h + b_hn, n and h' as above.
            ck_gru_forward(CPU.isa, w, s.gates + b * G + s.j0, H, s.bias.map { $0 + s.j0 }, s.hp + b * 3 * w, bhn, hPrev,
                           hnAll + u, hNext, y)
        }
    }

    /// With `dh` the total gradient for `h'`:
    ///
    ///     dn = dh ⊙ (1 - z),  dz = dh ⊙ (h - n),  dh_{t-1} (direct) = dh ⊙ z
    ///     dn_pre = dn ⊙ (1 - n²)           input side: dn_pre; hidden side: dn_pre ⊙ r
    ///     dr_pre = dn_pre ⊙ hn ⊙ r(1 - r)
    ///     dz_pre = dz ⊙ z(1 - z)
    static func backward(_ s: CellBackStep) {
        let H = s.H, G = 3 * H, w = s.w
        let hnAll = s.hn!
        for b in 0..<s.B {
            let u = b * H + s.j0
            let dh = s.dh + u, dx = s.dXp + b * G + s.j0, dhp = s.dHp + b * G + s.j0
            guard s.isActive(b) else {
                for gate in 0..<3 {
                    (dx + gate * H).update(repeating: 0, count: w)
                    (dhp + gate * H).update(repeating: 0, count: w)
                }
                continue
            }
            // Fused in CKernels (cells.c), the equations above per unit.
            ck_gru_backward(CPU.isa, w, s.gates + b * G + s.j0, H, s.hPrev + u, hnAll + u, s.dy + u, dh, dx, dhp)
        }
    }
}
