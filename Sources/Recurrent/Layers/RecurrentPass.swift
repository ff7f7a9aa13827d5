/// One layer of a recurrent network run in one direction over a padded batch:
/// the unit that owns `weight_ih_l{k}[_reverse]`, `weight_hh_l{k}[_reverse]`
/// and their biases, and the time loop.
///
/// Shapes: `x` is `[T, B, I]` (time-major), states and the output step are
/// `[B, H]`, `weight_ih` is `[G*H, I]`, `weight_hh` is `[G*H, H]`.
///
/// Forward: one GEMM projects every step's input (`Xp = X W_ih^T + b_ih`,
/// plus `b_hh` where it adds straight in), then each step runs one small
/// product (`Hp = h W_hh^T`) and the cell's fused pointwise update. Backward
/// mirrors it: per step, the cell's pointwise backward and one small product
/// for `dh_{t-1}`; after the loop, one GEMM each for `dX`, `dW_ih` and `dW_hh`.
///
/// The time loop packs `W_hh` once per pass for the built-in micro-kernel
/// (``PackedGEMM``) and, when a step's product is large enough, splits the
/// hidden units between the two threads of ``WorkTeam/shared``: each thread
/// computes its units' gates, cell update and share of `dh_{t-1}`, and the two
/// meet at one barrier per step. The arithmetic per element does not depend
/// on the split, so results are the same with one thread or two.
public final class RecurrentPass: Layer {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    /// Whether the pass runs from each sequence's last step back to its first.
    public let reverse: Bool
    /// `[G*H, I]`
    public let weightIH: Parameter
    /// `[G*H, H]`
    public let weightHH: Parameter
    /// `[G*H]`
    public let biasIH: Parameter
    /// `[G*H]`
    public let biasHH: Parameter
    /// The PyTorch name suffix, `_l{k}` or `_l{k}_reverse`.
    public let suffix: String

    /// What backward needs from forward.
    public struct Trace {
        let T: Int, B: Int
        let lengths: [Int]?
        /// `[T, B, I]`
        let x: Tensor
        /// `[T, B, G*H]`: gate activations per step.
        let gates: Tensor
        /// `[T, B, H]`: the state each step started from, indexed by time.
        let hPrev: Tensor
        /// `[T, B, H]`: LSTM memory before / after each step (empty otherwise).
        let cPrev: Tensor
        let cNext: Tensor
        /// `[T, B, H]`: GRU `W_hn h + b_hn` per step (empty otherwise).
        let hn: Tensor
        /// `[T, B, H]`: the output.
        let y: Tensor
    }

    /// A pass with PyTorch's default initialisation, U(-1/sqrt(H), 1/sqrt(H)) for every tensor.
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layerIndex: Int, reverse: Bool, rng: inout SeededRNG) {
        precondition(inputSize > 0 && hiddenSize > 0, "\(cell)(\(inputSize) => \(hiddenSize)) needs positive sizes")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.reverse = reverse
        self.suffix = "_l\(layerIndex)" + (reverse ? "_reverse" : "")
        let GH = cell.gateCount * hiddenSize
        let k = 1 / Float(hiddenSize).squareRoot()
        weightIH = Parameter(.uniform([GH, inputSize], low: -k, high: k, rng: &rng))
        weightHH = Parameter(.uniform([GH, hiddenSize], low: -k, high: k, rng: &rng))
        biasIH = Parameter(.uniform([GH], low: -k, high: k, rng: &rng))
        biasHH = Parameter(.uniform([GH], low: -k, high: k, rng: &rng))
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight_ih" + suffix, weightIH), ("weight_hh" + suffix, weightHH),
         ("bias_ih" + suffix, biasIH), ("bias_hh" + suffix, biasHH)]
    }

    /// The time index of processing step `s`.
    @inline(__always) func time(_ s: Int, _ T: Int) -> Int { reverse ? T - 1 - s : s }

    /// Runs the pass over `x` (`[T, B, I]`) from state `h0` (and `c0` for LSTM), each `[B, H]`.
    ///
    /// - Returns: the output `[T, B, H]` (zero at padded steps), the final state
    ///   (each row's state after its last real step) and the trace for backward.
    public func forward(_ x: Tensor, lengths: [Int]?, h0: Tensor, c0: Tensor?)
        -> (output: Tensor, h: Tensor, c: Tensor?, trace: Trace)
    {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "\(cell)(\(inputSize) => \(hiddenSize)) expects x of [T, B, \(inputSize)], got \(x.shape)")
        let T = x.shape[0], B = x.shape[1], H = hiddenSize, I = inputSize, GH = cell.gateCount * H
        precondition(h0.shape == [B, H], "\(cell)(\(I) => \(H)) expects an initial h of [\(B), \(H)], got \(h0.shape)")
        let lstm = cell == .lstm, gru = cell == .gru
        if lstm { precondition(c0?.shape == [B, H], "LSTM(\(I) => \(H)) expects an initial c of [\(B), \(H)], got \(c0?.shape ?? [])") }

        // Every element of these is written below before it is read (hn only for active rows, hence zeros).
        var gates = Tensor(uninitializedShape: [T, B, GH])
        var hPrev = Tensor(uninitializedShape: [T, B, H])
        var cPrev = Tensor(uninitializedShape: lstm ? [T, B, H] : [0])
        var cNext = Tensor(uninitializedShape: lstm ? [T, B, H] : [0])
        var hn = Tensor.zeros(gru ? [T, B, H] : [0])
        var y = Tensor(uninitializedShape: [T, B, H])
        var hFinal = h0
        var cFinal = lstm ? c0! : Tensor.zeros([0])
        let BH = B * H, G = cell.gateCount
        // b_hh adds straight into every pre-activation except the GRU's n, where it sits inside r ⊙ (...).
        let foldedHiddenBias = gru ? 2 * H : GH

        var inputBias = biasIH.value.scalars
        biasHH.value.withUnsafeBufferPointer { bhh in for j in 0..<foldedHiddenBias { inputBias[j] += bhh[j] } }
        let lengthsArray = lengths ?? []
        guard T > 0 else {
            let trace = Trace(T: T, B: B, lengths: lengths, x: x, gates: gates, hPrev: hPrev,
                              cPrev: cPrev, cNext: cNext, hn: hn, y: y)
            return (y, hFinal, lstm ? cFinal : nil, trace)
        }
        x.withUnsafeBufferPointer { px in
        weightIH.value.withUnsafeBufferPointer { wih in
        weightHH.value.withUnsafeBufferPointer { whh in
        biasHH.value.withUnsafeBufferPointer { bhh in
        gates.withUnsafeMutableBufferPointer { pg in
        hPrev.withUnsafeMutableBufferPointer { phPrev in
        cPrev.withUnsafeMutableBufferPointer { pcPrev in
        cNext.withUnsafeMutableBufferPointer { pcNext in
        hn.withUnsafeMutableBufferPointer { phn in
        y.withUnsafeMutableBufferPointer { py in
        hFinal.withUnsafeMutableBufferPointer { phF in
        cFinal.withUnsafeMutableBufferPointer { pcF in
        lengthsArray.withUnsafeBufferPointer { plen in
        inputBias.withUnsafeBufferPointer { pbias in
            let g = pg.baseAddress!, h = phPrev.baseAddress!, whh = whh.baseAddress!
            let c = pcPrev.baseAddress, cn = pcNext.baseAddress
            // Xp = X W_ih^T for all steps at once; the cell adds b_ih (+ b_hh) per step, while the row is in cache.
            gemm(transB: true, m: T * B, n: GH, k: I, a: px.baseAddress!, lda: I, b: wih.baseAddress!, ldb: I,
                 c: g, ldc: GH)
            let bias = UnsafePointer(pbias.baseAddress!)
            let precision = Precision.current       // read here: the helper thread does not see a task-local value
            WorkTeam.splitSteps(Self.worthSplitting(B: B, G: G, H: H)) { members, member, sync in
                let units = Self.units(H: H, members: members, member: member)
                let j0 = units.lowerBound, w = units.count, Gw = G * w
                let packedCount = PackedGEMM.count(k: H, n: Gw, precision: precision)
                Scratch.withBuffer(count: packedCount + Gw * H + B * Gw) { scratch in
                    let packed = scratch, rows = scratch + packedCount, hp = rows + Gw * H
                    // W_hh^T restricted to this thread's units' gate rows, packed once for the whole loop.
                    for gate in 0..<G { (rows + gate * w * H).update(from: whh + (gate * H + j0) * H, count: w * H) }
                    PackedGEMM.pack(transB: true, k: H, n: Gw, b: rows, ldb: H, into: packed, precision: precision)
                    // The state the first step starts from (this thread's units).
                    let t0 = time(0, T)
                    for b in 0..<B {
                        (h + t0 * BH + b * H + j0).update(from: phF.baseAddress! + b * H + j0, count: w)
                        if lstm { (c! + t0 * BH + b * H + j0).update(from: pcF.baseAddress! + b * H + j0, count: w) }
                    }
                    sync()
                    for s in 0..<T {
                        let t = time(s, T), last = s == T - 1
                        let tNext = last ? 0 : time(s + 1, T)
                        let hIn = UnsafePointer(h + t * BH)
                        // Hp = h_{t-1} W_hh^T for this thread's units.
                        PackedGEMM.multiply(m: B, n: Gw, k: H, a: hIn, lda: H, packed: packed, beta: 0, c: hp, ldc: Gw,
                                            precision: precision)
                        cell.forward(CellStep(
                            B: B, H: H, t: t, lengths: lengths == nil ? nil : plen.baseAddress, j0: j0, w: w,
                            gates: g + t * B * GH, bias: bias, hp: hp, biasHN: gru ? bhh.baseAddress! + 2 * H : nil,
                            hPrev: hIn, hNext: last ? phF.baseAddress! : h + tNext * BH,
                            cPrev: lstm ? UnsafePointer(c! + t * BH) : nil, cNext: lstm ? cn! + t * BH : nil,
                            hn: gru ? phn.baseAddress! + t * BH : nil, y: py.baseAddress! + t * BH))
                        if lstm {
                            let cOut = last ? pcF.baseAddress! : c! + tNext * BH
                            for b in 0..<B { (cOut + b * H + j0).update(from: cn! + t * BH + b * H + j0, count: w) }
                        }
                        if !last { sync() }     // h_t complete before any thread's next product
                    }
                }
            }
        }}}}}}}}}}}}}}
        let trace = Trace(T: T, B: B, lengths: lengths, x: x, gates: gates, hPrev: hPrev,
                          cPrev: cPrev, cNext: cNext, hn: hn, y: y)
        return (y, hFinal, lstm ? cFinal : nil, trace)
    }

    /// Backpropagation through time for one pass.
    ///
    /// - Parameters:
    ///   - dy: the gradient for the output, `[T, B, H]`.
    ///   - dh: the gradient for the final `h`, `[B, H]` (zeros if the loss ignores it).
    ///   - dc: the gradient for the final `c` (LSTM), `[B, H]`.
    /// - Returns: the gradient for `x` (`[T, B, I]`) and for the initial states.
    ///   Parameter gradients are added into each parameter's `grad`.
    public func backward(_ trace: Trace, gradOutput dy: Tensor, gradH dh: Tensor, gradC dc: Tensor?)
        -> (dx: Tensor, dh0: Tensor, dc0: Tensor?)
    {
        backward(trace, gradOutput: dy, gradH: dh, gradC: dc, stateGradientSquares: nil)
    }

    /// ``backward(_:gradOutput:gradH:gradC:)`` that also writes, for each time
    /// index `t`, the squared norm of the total gradient for the state `h_t`
    /// over the batch (`dy_t` plus what flows back from later steps) into
    /// `squares[2*t] + squares[2*t + 1]` (one slot per thread of the time loop;
    /// `squares` holds `2*T` zeros on entry).
    func backward(_ trace: Trace, gradOutput dy: Tensor, gradH dh: Tensor, gradC dc: Tensor?,
                  stateGradientSquares squares: UnsafeMutablePointer<Double>?) -> (dx: Tensor, dh0: Tensor, dc0: Tensor?)
    {
        let T = trace.T, B = trace.B, H = hiddenSize, I = inputSize, GH = cell.gateCount * H, BH = B * H
        precondition(dy.shape == [T, B, H], "\(cell)(\(I) => \(H)) backward expects dy of [\(T), \(B), \(H)], got \(dy.shape)")
        precondition(dh.shape == [B, H], "\(cell)(\(I) => \(H)) backward expects dh of [\(B), \(H)], got \(dh.shape)")
        let lstm = cell == .lstm, gru = cell == .gru
        var dhCarry = dh
        var dcCarry = lstm ? (dc ?? Tensor.zeros([B, H])) : Tensor.zeros([0])
        // The cell writes every row of dXp and dHp (zeros for padding); the GEMM overwrites dx.
        var dXp = Tensor(uninitializedShape: [T, B, GH])
        var dHp = Tensor(uninitializedShape: gru ? [T, B, GH] : [0])      // equal to dXp for RNN and LSTM
        var dx = Tensor(uninitializedShape: [T, B, I])
        let lengthsArray = trace.lengths ?? []

        dy.withUnsafeBufferPointer { pdy in
        trace.gates.withUnsafeBufferPointer { pg in
        trace.hPrev.withUnsafeBufferPointer { phPrev in
        trace.cPrev.withUnsafeBufferPointer { pcPrev in
        trace.cNext.withUnsafeBufferPointer { pcNext in
        trace.hn.withUnsafeBufferPointer { phn in
        trace.y.withUnsafeBufferPointer { py in
        trace.x.withUnsafeBufferPointer { px in
        weightIH.value.withUnsafeBufferPointer { wih in
        weightHH.value.withUnsafeBufferPointer { whh in
        dhCarry.withUnsafeMutableBufferPointer { pdh in
        dcCarry.withUnsafeMutableBufferPointer { pdc in
        dXp.withUnsafeMutableBufferPointer { pdXp in
        dHp.withUnsafeMutableBufferPointer { pdHp in
        lengthsArray.withUnsafeBufferPointer { plen in
            let dHpBase = gru ? pdHp.baseAddress! : pdXp.baseAddress!
            let whh = whh.baseAddress!, dh = pdh.baseAddress!
            if T > 0 {
                let precision = Precision.current   // read here: the helper thread does not see a task-local value
                WorkTeam.splitSteps(Self.worthSplitting(B: B, G: cell.gateCount, H: H)) { members, member, sync in
                    let units = Self.units(H: H, members: members, member: member)
                    let j0 = units.lowerBound, w = units.count
                    // W_hh's columns for this thread's units ([G*H, w]), packed once for the whole loop.
                    Scratch.withBuffer(count: PackedGEMM.count(k: GH, n: w, precision: precision)) { packed in
                        PackedGEMM.pack(transB: false, k: GH, n: w, b: whh + j0, ldb: H, into: packed, precision: precision)
                        for s in stride(from: T - 1, through: 0, by: -1) {
                            let t = time(s, T)
                            if let squares {
                                squares[2 * t + member] = Self.stateGradientSquares(
                                    dh: dh, dy: pdy.baseAddress! + t * BH, B: B, H: H, units: units,
                                    active: { b in trace.lengths.map { t < $0[b] } ?? true })
                            }
                            cell.backward(CellBackStep(
                                B: B, H: H, t: t, lengths: trace.lengths == nil ? nil : plen.baseAddress, j0: j0, w: w,
                                gates: pg.baseAddress! + t * B * GH, hPrev: phPrev.baseAddress! + t * BH,
                                y: py.baseAddress! + t * BH,
                                cPrev: lstm ? pcPrev.baseAddress! + t * BH : nil,
                                cNext: lstm ? pcNext.baseAddress! + t * BH : nil,
                                hn: gru ? phn.baseAddress! + t * BH : nil,
                                dy: pdy.baseAddress! + t * BH, dh: dh, dc: lstm ? pdc.baseAddress! : nil,
                                dXp: pdXp.baseAddress! + t * B * GH, dHp: dHpBase + t * B * GH))
                            sync()      // every unit's dHp_t written before any thread reads it
                            // dh_{t-1}[units] += dHp_t W_hh[:, units]
                            PackedGEMM.multiply(m: B, n: w, k: GH, a: dHpBase + t * B * GH, lda: GH, packed: packed,
                                                beta: 1, c: dh + j0, ldc: H, precision: precision)
                        }
                    }
                }
            }
            guard T > 0 else { return }
            let rows = T * B
            // dX = dXp W_ih
            dx.withUnsafeMutableBufferPointer { pdx in
                gemm(m: rows, n: I, k: GH, a: pdXp.baseAddress!, lda: GH, b: wih.baseAddress!, ldb: I,
                     c: pdx.baseAddress!, ldc: I)
            }
            // dW_ih += dXp^T X,  db_ih += sum over rows of dXp
            weightIH.grad.withUnsafeMutableBufferPointer { g in
                gemm(transA: true, m: GH, n: I, k: rows, a: pdXp.baseAddress!, lda: GH, b: px.baseAddress!, ldb: I,
                     beta: 1, c: g.baseAddress!, ldc: I)
            }
            var sumsXp = [Float](repeating: 0, count: GH)
            sumsXp.withUnsafeMutableBufferPointer { Pointwise.accumulateColumnSums(pdXp.baseAddress!, rows: rows, n: GH, into: $0.baseAddress!) }
            biasIH.grad.withUnsafeMutableBufferPointer { g in for j in 0..<GH { g[j] += sumsXp[j] } }
            // dW_hh += dHp^T H_prev,  db_hh += sum over rows of dHp (the same sums as dXp's unless GRU)
            weightHH.grad.withUnsafeMutableBufferPointer { g in
                gemm(transA: true, m: GH, n: H, k: rows, a: dHpBase, lda: GH, b: phPrev.baseAddress!, ldb: H,
                     beta: 1, c: g.baseAddress!, ldc: H)
            }
            biasHH.grad.withUnsafeMutableBufferPointer { g in
                if gru {
                    Pointwise.accumulateColumnSums(dHpBase, rows: rows, n: GH, into: g.baseAddress!)
                } else {
                    for j in 0..<GH { g[j] += sumsXp[j] }
                }
            }
        }}}}}}}}}}}}}}}
        return (dx, dhCarry, lstm ? dcCarry : nil)
    }

    /// `Σ_b Σ_{j in units} (dh[b, j] + dy[b, j])²` (`dy` only for active rows:
    /// a padded step's output is a constant zero): this thread's share of
    /// `|dL/dh_t|²` before the cell's backward step consumes it.
    static func stateGradientSquares(dh: UnsafePointer<Float>, dy: UnsafePointer<Float>, B: Int, H: Int, units: Range<Int>,
                                     active: (Int) -> Bool) -> Double {
        var sum = 0.0
        for b in 0..<B {
            let on = active(b)
            for j in units {
                let g = Double(dh[b * H + j]) + (on ? Double(dy[b * H + j]) : 0)
                sum += g * g
            }
        }
        return sum
    }

    /// Whether a step's product (`B x H` by `H x G*H`) is large enough to pay
    /// for splitting the time loop over two threads (a barrier per step).
    static func worthSplitting(B: Int, G: Int, H: Int) -> Bool { 2 * B * G * H * H >= 2_000_000 && H >= 16 }

    /// The hidden units thread `member` of `members` computes: all of them, or
    /// halves cut at a multiple of 8.
    static func units(H: Int, members: Int, member: Int) -> Range<Int> {
        guard members > 1 else { return 0..<H }
        let cut = min(H, ((H + 1) / 2 + 7) / 8 * 8)
        return member == 0 ? 0..<cut : cut..<H
    }
}
