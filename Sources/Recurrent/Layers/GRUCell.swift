/// The GRU cell, PyTorch gate order r, z, n (each a block of `H` columns):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)           reset gate
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)           update gate
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   candidate
///     h' = (1 - z) ⊙ n + z ⊙ h
enum GRUCell {
    static func forward(_ s: CellStep) {
        let H = s.H, G = 3 * H
        let hnAll = s.hn!
        for b in 0..<s.B {
            let y = s.y + b * H, hNext = s.hNext + b * H, hPrev = s.hPrev + b * H
            guard s.isActive(b) else {
                hNext.update(from: hPrev, count: H)
                y.update(repeating: 0, count: H)
                continue
            }
            let a = s.gates + b * G, hp = s.hp + b * G
            let r = a, z = a + H, n = a + 2 * H, hn = hnAll + b * H
            for j in 0..<2 * H { a[j] += hp[j] }
            Pointwise.sigmoid(r, r, 2 * H)                   // r and z
            for j in 0..<H {
                hn[j] = hp[2 * H + j]
                n[j] += r[j] * hn[j]
            }
            Pointwise.tanh(n, n, H)
            for j in 0..<H { hNext[j] = (1 - z[j]) * n[j] + z[j] * hPrev[j] }
            y.update(from: hNext, count: H)
        }
    }

    /// With `dh` the total gradient for `h'`:
    ///
    ///     dn = dh ⊙ (1 - z),  dz = dh ⊙ (h - n),  dh_{t-1} (direct) = dh ⊙ z
    ///     dn_pre = dn ⊙ (1 - n²)           input side: dn_pre; hidden side: dn_pre ⊙ r
    ///     dr_pre = dn_pre ⊙ hn ⊙ r(1 - r)
    ///     dz_pre = dz ⊙ z(1 - z)
    static func backward(_ s: CellBackStep) {
        let H = s.H, G = 3 * H
        let hnAll = s.hn!
        for b in 0..<s.B {
            let dh = s.dh + b * H, dx = s.dXp + b * G, dhp = s.dHp + b * G
            guard s.isActive(b) else {
                dx.update(repeating: 0, count: G)
                dhp.update(repeating: 0, count: G)
                continue
            }
            let a = s.gates + b * G
            let r = a, z = a + H, n = a + 2 * H
            let hPrev = s.hPrev + b * H, hn = hnAll + b * H, dy = s.dy + b * H
            for j in 0..<H {
                let dhj = dh[j] + dy[j]
                let dnPre = dhj * (1 - z[j]) * (1 - n[j] * n[j])
                let drPre = dnPre * hn[j] * r[j] * (1 - r[j])
                let dzPre = dhj * (hPrev[j] - n[j]) * z[j] * (1 - z[j])
                dx[j] = drPre; dhp[j] = drPre
                dx[H + j] = dzPre; dhp[H + j] = dzPre
                dx[2 * H + j] = dnPre; dhp[2 * H + j] = dnPre * r[j]
                dh[j] = dhj * z[j]
            }
        }
    }
}
