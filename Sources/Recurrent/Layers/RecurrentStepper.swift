import CKernels

/// Runs a unidirectional ``RecurrentLayer`` one step at a time for a single
/// sequence (batch 1), with every buffer allocated once: the hot loop of
/// generation. Each layer costs two matrix-vector products (`W_ih x`,
/// `W_hh h`) and the cell's own pointwise step; nothing is allocated per step.
///
/// A conditional decoder starts from an initial state (``reset(to:)``) and may
/// hold a per-step condition fixed (``setCondition(_:)``): the last `C` of
/// layer 0's inputs, projected once and added to every step.
///
/// ```swift
/// let stepper = RecurrentStepper(layer: rnn)          // rnn: inputSize E + C
/// stepper.reset(to: initialState)                     // [L, 1, H], e.g. from a StateBridge
/// stepper.setCondition(features)                      // C floats, fed at every step
/// let top = stepper.step(tokenEmbedding)             // E floats; returns the top layer's h, H floats
/// ```
public final class RecurrentStepper {
    /// The layer stepped; its weights are read at every step (under bf16, copied once).
    public let layer: RecurrentLayer
    /// When set, each layer's products are split over the team's two threads.
    var team: WorkTeam?
    let L: Int, H: Int, GH: Int
    /// `h[l]` and `c[l]`, each `H` floats, then scratch: gates, hp, next h/c, hn, y,
    /// and `H` zeros (the cell's separate `b_hn`, already inside `hp` here).
    private let memory: UnsafeMutablePointer<Float>
    private let h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    private let gates: UnsafeMutablePointer<Float>, hp: UnsafeMutablePointer<Float>
    private let hNext: UnsafeMutablePointer<Float>, cNext: UnsafeMutablePointer<Float>
    private let hn: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>
    private let zeros: UnsafeMutablePointer<Float>
    /// Under bf16: each layer's `W_ih` and `W_hh` rounded to bfloat16, once (the layer must not change after).
    private let bf16: [(ih: BF16Matrix, hh: BF16Matrix)]?
    /// `W_ih0[:, I-C..<I] z` for the condition `z` held by ``setCondition(_:)``, or nil.
    private var conditionProjection: Tensor?
    /// `C`, the width of the condition held (0 without one).
    public private(set) var conditionWidth = 0

    /// A stepper for `layer`. With `precision` bf16 (where the CPU has
    /// AVX512-BF16), the weights are rounded to bfloat16 once, here, and each
    /// step reads half the bytes; a later change to the layer's weights is not seen.
    public init(layer: RecurrentLayer, precision: Precision = .fp32) {
        precondition(!layer.bidirectional, "RecurrentStepper runs one direction; \(layer.cell) is bidirectional")
        self.layer = layer
        L = layer.layerCount
        H = layer.hiddenSize
        GH = layer.cell.gateCount * H
        let total = 2 * L * H + 2 * GH + 5 * H
        memory = .allocate(capacity: total)
        memory.initialize(repeating: 0, count: total)
        h = memory
        c = h + L * H
        gates = c + L * H
        hp = gates + GH
        hNext = hp + GH
        cNext = hNext + H
        hn = cNext + H
        y = hn + H
        zeros = y + H
        if precision == .bf16 && precision.isAvailable && !layer.layerNorm {
            bf16 = layer.passes.map { directions in
                let pass = directions[0]
                return (BF16Matrix(pass.weightIH.value), BF16Matrix(pass.weightHH.value))
            }
        } else {
            bf16 = nil
        }
    }

    deinit { memory.deallocate() }

    /// Starts from `state` (`[L, 1, H]`), or zeros.
    public func reset(to state: RecurrentState? = nil) {
        if let state {
            precondition(state.h.shape == [L, 1, H], "RecurrentStepper expects a state of [\(L), 1, \(H)], got \(state.h.shape)")
            state.h.withUnsafeBufferPointer { h.update(from: $0.baseAddress!, count: L * H) }
            if let sc = state.c { sc.withUnsafeBufferPointer { c.update(from: $0.baseAddress!, count: L * H) } }
        } else {
            h.update(repeating: 0, count: L * H)
            c.update(repeating: 0, count: L * H)
        }
    }

    /// Holds `condition` (`C` floats, `0 < C < I`) as the last `C` inputs of
    /// layer 0 for every following step, so ``step(input:)`` then reads only
    /// the first `I - C` inputs and ``step(projectedInput:)`` gets
    /// `W_ih0[:, I-C..<I] condition` added. Nil removes the condition.
    public func setCondition(_ condition: [Float]?) {
        guard let condition else { conditionProjection = nil; conditionWidth = 0; return }
        let first = layer.passes[0][0], I = first.inputSize, C = condition.count
        precondition(C > 0 && C < I, "RecurrentStepper: a condition of \(C) floats does not fit layer 0's \(I) inputs")
        precondition(!layer.layerNorm, "RecurrentStepper: a held condition needs a linear input projection, not a layer-normalised one")
        var projection = Tensor.zeros([GH])
        first.weightIH.value.withUnsafeBufferPointer { w in
            condition.withUnsafeBufferPointer { z in
                projection.withUnsafeMutableBufferPointer { p in
                    gemv(m: GH, k: C, a: w.baseAddress! + (I - C), lda: I, x: z.baseAddress!, beta: 0, y: p.baseAddress!)
                }
            }
        }
        conditionProjection = projection
        conditionWidth = C
    }

    /// The current state, `[L, 1, H]`.
    public var state: RecurrentState {
        let hs = Tensor(shape: [L, 1, H], scalars: Array(UnsafeBufferPointer(start: h, count: L * H)))
        let cs = layer.cell.hasCellState ? Tensor(shape: [L, 1, H], scalars: Array(UnsafeBufferPointer(start: c, count: L * H))) : nil
        return RecurrentState(h: hs, c: cs)
    }

    /// The top layer's hidden state after the last step (`H` floats, valid until the next step).
    package var output: UnsafePointer<Float> { UnsafePointer(h + (L - 1) * H) }

    /// One step from input `x` (`I` floats, or `I - C` with a condition held);
    /// returns the top layer's new hidden state, `H` floats. The same step as the
    /// allocation-free one the library's own generation loops call, plus one copy out.
    @discardableResult
    public func step(_ x: [Float]) -> [Float] {
        precondition(x.count == layer.inputSize - conditionWidth,
                     "RecurrentStepper: expects \(layer.inputSize - conditionWidth) inputs per step, got \(x.count)")
        let top = x.withUnsafeBufferPointer { step(input: $0.baseAddress!) }
        return Array(UnsafeBufferPointer(start: top, count: H))
    }

    /// One step from input `x` (`I` floats, or `I - C` with a condition held).
    @discardableResult
    package func step(input x: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let first = layer.passes[0][0]
        if layer.layerNorm {
            first.weightIH.value.withUnsafeBufferPointer { w in
                gemv(m: GH, k: first.inputSize, a: w.baseAddress!, lda: first.inputSize, x: x, beta: 0, y: gates)
            }
            first.finishInputProjection(gates, rows: 1)
            return step(projectedInput: gates)
        }
        first.weightIH.value.withUnsafeBufferPointer { w in
            first.biasIH.value.withUnsafeBufferPointer { b in
                gates.update(from: b.baseAddress!, count: GH)
                if let bf16, conditionWidth == 0 {
                    bf16[0].ih.multiply(x: x, beta: 1, y: gates)
                } else {
                    gemv(m: GH, k: first.inputSize - conditionWidth, a: w.baseAddress!, lda: first.inputSize, x: x, beta: 1, y: gates)
                }
            }
        }
        return step(projectedInput: gates)
    }

    /// `gates = projectedInput` plus the held condition's projection, for layer 0.
    private func loadLayer0Gates(_ projectedInput: UnsafePointer<Float>) {
        if projectedInput != UnsafePointer(gates) { gates.update(from: projectedInput, count: GH) }
        conditionProjection?.withUnsafeBufferPointer { p in
            for j in 0..<GH { gates[j] += p[j] }
        }
    }

    /// One step where layer 0's input projection `W_ih x + b_ih` (`G*H` floats;
    /// for a layer-normalised LSTM `LN(W_ih x) + b_ih`, see
    /// ``RecurrentPass/finishInputProjection(_:rows:)``) is already known (a language model looks it up per token). With a
    /// condition held, `x` is the first `I - C` inputs and the condition's
    /// projection is added here.
    @discardableResult
    package func step(projectedInput: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let GH = GH, H = H, gates = gates, hp = hp
        for l in 0..<L {
            let pass = layer.passes[l][0]
            let below = h + max(l - 1, 0) * H
            let hl = h + l * H, cl = c + l * H
            if layer.layerNorm {
                if l == 0 {
                    loadLayer0Gates(projectedInput)
                } else {
                    pass.weightIH.value.withUnsafeBufferPointer { gemv(m: GH, k: H, a: $0.baseAddress!, lda: H, x: below, beta: 0, y: gates) }
                    pass.finishInputProjection(gates, rows: 1)
                }
                pass.layerNormStep(gates: gates, h: hl, c: cl, hp: hp, hNext: hNext, cNext: cNext, y: y)
                continue
            }
            pass.biasHH.value.withUnsafeBufferPointer { hp.update(from: $0.baseAddress!, count: GH) }
            if let bf16 {
                // The same products with the weights in bfloat16.
                let (wih, whh) = bf16[l]
                if l == 0 {
                    loadLayer0Gates(projectedInput)
                } else {
                    pass.biasIH.value.withUnsafeBufferPointer { gates.update(from: $0.baseAddress!, count: GH) }
                }
                if let team {
                    team.run { member in
                        let r = WorkTeam.half(GH, member)
                        if l > 0 { wih.multiply(rows: r, x: below, beta: 1, y: gates) }
                        whh.multiply(rows: r, x: hl, beta: 1, y: hp)
                    }
                } else {
                    if l > 0 { wih.multiply(x: below, beta: 1, y: gates) }
                    whh.multiply(x: hl, beta: 1, y: hp)
                }
            } else if l == 0 {
                loadLayer0Gates(projectedInput)
                pass.weightHH.value.withUnsafeBufferPointer { w in
                    let wh = w.baseAddress!
                    if let team {
                        team.run { member in
                            let r = WorkTeam.half(GH, member)
                            ck_sgemv(CPU.isa, r.count, H, wh + r.lowerBound * H, H, hl, 1, hp + r.lowerBound)
                        }
                    } else {
                        gemv(m: GH, k: H, a: wh, lda: H, x: hl, beta: 1, y: hp)
                    }
                }
            } else {
                // gates = W_ih h_{l-1} + b_ih and hp = W_hh h_l + b_hh, in one parallel region.
                pass.biasIH.value.withUnsafeBufferPointer { gates.update(from: $0.baseAddress!, count: GH) }
                pass.weightIH.value.withUnsafeBufferPointer { wi in
                    pass.weightHH.value.withUnsafeBufferPointer { wh in
                        let a1 = wi.baseAddress!, a2 = wh.baseAddress!
                        if let team {
                            team.run { member in
                                let r = WorkTeam.half(GH, member)
                                ck_sgemv(CPU.isa, r.count, H, a1 + r.lowerBound * H, H, below, 1, gates + r.lowerBound)
                                ck_sgemv(CPU.isa, r.count, H, a2 + r.lowerBound * H, H, hl, 1, hp + r.lowerBound)
                            }
                        } else {
                            gemvPair(m: GH, k1: H, a1: a1, x1: below, y1: gates, k2: H, a2: a2, x2: hl, y2: hp, beta: 1)
                        }
                    }
                }
            }
            // gates holds W_ih x + b_ih and hp holds W_hh h + b_hh whole, so the cell adds no bias here.
            layer.cell.forward(CellStep(B: 1, H: H, t: 0, lengths: nil, j0: 0, w: H, gates: gates, hPrev: hl, cPrev: cl, cNext: cNext, hn: hn),
                               CellStep.Forward(bias: nil, hp: hp, biasHN: zeros, hNext: hNext, y: y))
            hl.update(from: hNext, count: H)
            if layer.cell.hasCellState { cl.update(from: cNext, count: H) }
        }
        return output
    }
}
