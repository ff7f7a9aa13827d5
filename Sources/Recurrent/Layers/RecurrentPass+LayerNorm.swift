/// The layer-normalised LSTM's time loops (``LSTMLayerNorm``): the plain
/// pass's structure, one thread (each normalisation spans a whole row, which a
/// split by units would cut), with three normalisations added:
///
///     forward:  Xp = LN(X W_ih^T; ih) for all steps at once, before the loop
///               per step: Hp = LN(h_{t-1} W_hh^T; hh), the LSTM cell on Xp + b + Hp,
///               then h_t = o ⊙ tanh(LN(c_t; c))            (LayerNormLSTMKernel)
///     backward: per step: the cell back to the gate gradients da, dHp = LN backward of da,
///               dh_{t-1} += dHp W_hh;  after the loop: db = Σ da, dXp = LN backward of da
extension RecurrentPass {
    /// For the layer-normalised LSTM, `LN(p; ih) + b_ih` in place for each of
    /// the `rows` rows of `p` (`[rows, 4H]`, each `W_ih x` without bias), as
    /// forward computes its gates' input part; otherwise `p + b_ih`. The
    /// step-by-step paths (``RecurrentStepper``, generation tables) use it.
    func finishInputProjection(_ p: UnsafeMutablePointer<Float>, rows: Int) {
        let GH = cell.gateCount * hiddenSize
        if let ln = layerNorm {
            ln.withValues(hiddenSize: hiddenSize) { v in
                LayerNorm.forward(rows: rows, n: GH, p, gain: v, bias: v + GH, into: p, xHat: nil, rstd: nil)
            }
        }
        biasIH.value.withUnsafeBufferPointer { Pointwise.addRowVector($0.baseAddress!, to: p, rows: rows, n: GH) }
    }

    /// One step of a layer-normalised LSTM for one sequence, from `gates`
    /// (`[4H]`, from ``finishInputProjection(_:rows:)``), the state `h`, `c`
    /// (`[H]` each, updated in place): `hp` (`[4H]`), `hNext`, `cNext`, `y`
    /// (`[H]`) are scratch.
    func layerNormStep(gates: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                       hp: UnsafeMutablePointer<Float>, hNext: UnsafeMutablePointer<Float>, cNext: UnsafeMutablePointer<Float>,
                       y: UnsafeMutablePointer<Float>) {
        let H = hiddenSize, GH = 4 * H, at = LSTMLayerNorm.offsets(hiddenSize: H)
        layerNorm!.withValues(hiddenSize: H) { v in
            weightHH.value.withUnsafeBufferPointer { gemv(m: GH, k: H, a: $0.baseAddress!, lda: H, x: h, beta: 0, y: hp) }
            LayerNorm.forward(rows: 1, n: GH, hp, gain: v + at[2], bias: v + at[3], into: hp, xHat: nil, rstd: nil)
            biasHH.value.withUnsafeBufferPointer { Pointwise.addRowVector($0.baseAddress!, to: hp, rows: 1, n: GH) }
            cell.forward(CellStep(B: 1, H: H, t: 0, lengths: nil, j0: 0, w: H, gates: gates, hPrev: h, cPrev: c, cNext: cNext, hn: nil),
                         CellStep.Forward(bias: nil, hp: hp, biasHN: nil, hNext: hNext, y: y))
            LayerNormLSTMKernel.output(H: H, gates: gates, c: cNext, gain: v + at[4], bias: v + at[5], cHat: nil, rstd: nil, h: hNext, y: y)
        }
        h.update(from: hNext, count: H)
        c.update(from: cNext, count: H)
    }

    /// The forward time loop of the layer-normalised LSTM; `storage.gates`
    /// holds `X W_ih^T` on entry. Writes the output into `y` (`[T, B, H]`).
    func forwardLayerNormLoop(_ storage: PassTraceStorage, _ norms: LayerNormTraceStorage, y: UnsafeMutablePointer<Float>,
                              mask: UnsafePointer<Float>?) {
        let T = storage.T, B = storage.B, H = hiddenSize, GH = 4 * H, ln = layerNorm!
        let at = LSTMLayerNorm.offsets(hiddenSize: H), all = 0..<H
        let precision = Precision.current
        let packedCount = PackedGEMM.count(k: H, n: GH, precision: precision)
        ln.withValues(hiddenSize: H) { v in
            LayerNorm.forward(rows: T * B, n: GH, storage.gates, gain: v + at[0], bias: v + at[1], into: storage.gates,
                              xHat: norms.xHat, rstd: norms.xRstd)
            WorkTeam.splitSteps(false) { _, _, _ in
                Scratch.withBuffer(count: packedCount + GH * H + B * GH + B * H) { scratch in
                    packHiddenWeights(all, into: scratch, rows: scratch + packedCount, precision: precision)
                    let hp = scratch + packedCount + GH * H, masked = hp + B * GH
                    for s in 0..<T {
                        let t = time(s, T), next = s == T - 1 ? nil : time(s + 1, T)
                        let step = storage.step(t, units: all)
                        var h = step.hPrev
                        if let mask {
                            Pointwise.multiply(step.hPrev, mask, into: masked, count: B * H)
                            h = UnsafePointer(masked)
                        }
                        PackedGEMM.multiply(m: B, n: GH, k: H, a: h, lda: H, packed: scratch, beta: 0, c: hp, ldc: GH, precision: precision)
                        LayerNorm.forward(rows: B, n: GH, hp, gain: v + at[2], bias: v + at[3], into: hp,
                                          xHat: norms.hHat + t * B * GH, rstd: norms.hRstd + t * B)
                        let buffers = storage.forward(t, next: next, hp: hp, y: y)
                        cell.forward(step, buffers)                 // gates, c_t, and h_t = o ⊙ tanh(c_t), replaced here:
                        for b in 0..<B where step.isActive(b) {
                            LayerNormLSTMKernel.output(H: H, gates: step.gates + b * GH, c: step.cNext! + b * H, gain: v + at[4],
                                                       bias: v + at[5], cHat: norms.cHat + (t * B + b) * H, rstd: norms.cRstd + t * B + b,
                                                       h: buffers.hNext + b * H, y: buffers.y + b * H)
                        }
                        storage.carryMemory(from: t, to: next, units: all)
                    }
                }
            }
        }
    }

    /// The backward time loop of the layer-normalised LSTM: leaves the gradient
    /// for `X W_ih^T` in `grads.dXp`, for `h W_hh^T` in `grads.dHp`, both
    /// biases' gradient in `grads.sums`, and adds the normalisations' gradients.
    func backwardLayerNormLoop(_ storage: PassTraceStorage, _ norms: LayerNormTraceStorage, _ grads: PassGradientStorage,
                               dy: UnsafePointer<Float>, mask: UnsafePointer<Float>?, squares: UnsafeMutablePointer<Double>?) {
        let T = storage.T, B = storage.B, H = hiddenSize, GH = 4 * H, ln = layerNorm!
        let at = LSTMLayerNorm.offsets(hiddenSize: H), all = 0..<H
        let precision = Precision.current
        let packedCount = PackedGEMM.count(k: GH, n: H, precision: precision)
        ln.withValues(hiddenSize: H) { v in
            ln.accumulatingGradients(hiddenSize: H) { dv in
                WorkTeam.splitSteps(false) { _, _, _ in
                    Scratch.withBuffer(count: packedCount + B * H) { packed in
                        weightHH.value.withUnsafeBufferPointer { whh in
                            PackedGEMM.pack(transB: false, k: GH, n: H, b: whh.baseAddress!, ldb: H, into: packed, precision: precision)
                        }
                        let product = packed + packedCount
                        for s in stride(from: T - 1, through: 0, by: -1) {
                            let t = time(s, T), step = storage.step(t, units: all), g = grads.step(t, dy: dy)
                            if let squares { squares[2 * t] = Self.stateGradientSquares(dh: grads.dh, dy: g.dy, step: step) }
                            for b in 0..<B {
                                let da = g.dXp + b * GH
                                guard step.isActive(b) else { da.update(repeating: 0, count: GH); continue }   // dh, dc pass through
                                LayerNormLSTMKernel.backward(H: H, gates: step.gates + b * GH, cPrev: step.cPrev! + b * H,
                                                             cHat: norms.cHat + (t * B + b) * H, rstd: norms.cRstd[t * B + b],
                                                             gain: v + at[4], bias: v + at[5], dy: g.dy + b * H, dh: g.dh + b * H,
                                                             dc: g.dc! + b * H, da: da, dGain: dv + at[4], dBias: dv + at[5])
                            }
                            LayerNorm.backward(rows: B, n: GH, g.dXp, gain: v + at[2], xHat: norms.hHat + t * B * GH,
                                               rstd: norms.hRstd + t * B, into: g.dHp, dGain: dv + at[2], dBias: dv + at[3])
                            carryBack(g.dHp, B: B, units: all, packed: packed, into: grads.dh,
                                      dropout: mask.map { (mask: $0, product: product) }, precision: precision)
                        }
                    }
                }
                Pointwise.accumulateColumnSums(grads.dXp, rows: T * B, n: GH, into: grads.sums)
                LayerNorm.backward(rows: T * B, n: GH, grads.dXp, gain: v + at[0], xHat: norms.xHat, rstd: norms.xRstd,
                                   into: grads.dXp, dGain: dv + at[0], dBias: dv + at[1])
            }
        }
    }
}
