/// One layer of a recurrent network run in one direction over a padded batch:
/// the unit that owns `weight_ih_l{k}[_reverse]`, `weight_hh_l{k}[_reverse]`
/// and their biases, and the time loop.
///
/// Shapes: `x` is `[T, B, I]` (time-major), states and the output step are
/// `[B, H]`, `weight_ih` is `[G*H, I]`, `weight_hh` is `[G*H, H]`.
///
/// Forward: one GEMM projects every step's input (`Xp = X W_ih^T + b_ih`),
/// then each step runs one small GEMM (`Hp = h W_hh^T + b_hh`) and the cell's
/// fused pointwise update. Backward mirrors it: per step, the cell's pointwise
/// backward and one GEMM for `dh_{t-1}`; after the loop, one GEMM each for
/// `dX`, `dW_ih` and `dW_hh`.
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

        var gates = Tensor.zeros([T, B, GH])
        var hp = Tensor.zeros([B, GH])
        var hPrev = Tensor.zeros([T, B, H])
        var cPrev = Tensor.zeros(lstm ? [T, B, H] : [0])
        var cNext = Tensor.zeros(lstm ? [T, B, H] : [0])
        var hn = Tensor.zeros(gru ? [T, B, H] : [0])
        var y = Tensor.zeros([T, B, H])
        var hFinal = h0
        var cFinal = lstm ? c0! : Tensor.zeros([0])
        let BH = B * H

        let lengthsArray = lengths ?? []
        x.withUnsafeBufferPointer { px in
        weightIH.value.withUnsafeBufferPointer { wih in
        weightHH.value.withUnsafeBufferPointer { whh in
        biasIH.value.withUnsafeBufferPointer { bih in
        biasHH.value.withUnsafeBufferPointer { bhh in
        gates.withUnsafeMutableBufferPointer { pg in
        hp.withUnsafeMutableBufferPointer { php in
        hPrev.withUnsafeMutableBufferPointer { phPrev in
        cPrev.withUnsafeMutableBufferPointer { pcPrev in
        cNext.withUnsafeMutableBufferPointer { pcNext in
        hn.withUnsafeMutableBufferPointer { phn in
        y.withUnsafeMutableBufferPointer { py in
        hFinal.withUnsafeMutableBufferPointer { phF in
        cFinal.withUnsafeMutableBufferPointer { pcF in
        lengthsArray.withUnsafeBufferPointer { plen in
            let g = pg.baseAddress!, h = phPrev.baseAddress!
            // Xp = X W_ih^T + b_ih for all steps at once.
            if T > 0 {
                gemm(transB: true, m: T * B, n: GH, k: I, a: px.baseAddress!, lda: I, b: wih.baseAddress!, ldb: I,
                     c: g, ldc: GH)
                Pointwise.addRowVector(bih.baseAddress!, to: g, rows: T * B, n: GH)
            }
            var hIn = UnsafePointer(phF.baseAddress!)          // h0 until the first step
            var cIn = lstm ? UnsafePointer(pcF.baseAddress!) : nil
            for s in 0..<T {
                let t = time(s, T), last = s == T - 1
                let tNext = last ? 0 : time(s + 1, T)
                // Keep the state this step starts from, then step into the next slot.
                if s == 0 {
                    (h + t * BH).update(from: hIn, count: BH)
                    if lstm { (pcPrev.baseAddress! + t * BH).update(from: cIn!, count: BH) }
                }
                hIn = UnsafePointer(h + t * BH)
                if lstm { cIn = UnsafePointer(pcPrev.baseAddress! + t * BH) }
                let hOut = last ? phF.baseAddress! : h + tNext * BH
                // Hp = h_{t-1} W_hh^T + b_hh.
                for b in 0..<B { (php.baseAddress! + b * GH).update(from: bhh.baseAddress!, count: GH) }
                gemm(transB: true, m: B, n: GH, k: H, a: hIn, lda: H, b: whh.baseAddress!, ldb: H,
                     beta: 1, c: php.baseAddress!, ldc: GH)
                let step = CellStep(
                    B: B, H: H, t: t, lengths: lengths == nil ? nil : plen.baseAddress,
                    gates: g + t * B * GH, hp: php.baseAddress!, hPrev: hIn, hNext: hOut,
                    cPrev: cIn, cNext: lstm ? pcNext.baseAddress! + t * BH : nil,
                    hn: gru ? phn.baseAddress! + t * BH : nil, y: py.baseAddress! + t * BH)
                cell.forward(step)
                if lstm {
                    let cOut = last ? pcF.baseAddress! : pcPrev.baseAddress! + tNext * BH
                    cOut.update(from: pcNext.baseAddress! + t * BH, count: BH)
                }
            }
        }}}}}}}}}}}}}}}
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
        let T = trace.T, B = trace.B, H = hiddenSize, I = inputSize, GH = cell.gateCount * H, BH = B * H
        precondition(dy.shape == [T, B, H], "\(cell)(\(I) => \(H)) backward expects dy of [\(T), \(B), \(H)], got \(dy.shape)")
        precondition(dh.shape == [B, H], "\(cell)(\(I) => \(H)) backward expects dh of [\(B), \(H)], got \(dh.shape)")
        let lstm = cell == .lstm, gru = cell == .gru
        var dhCarry = dh
        var dcCarry = lstm ? (dc ?? Tensor.zeros([B, H])) : Tensor.zeros([0])
        var dXp = Tensor.zeros([T, B, GH])
        var dHp = Tensor.zeros(gru ? [T, B, GH] : [0])      // equal to dXp for RNN and LSTM
        var dx = Tensor.zeros([T, B, I])
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
            for s in stride(from: T - 1, through: 0, by: -1) {
                let t = time(s, T)
                let step = CellBackStep(
                    B: B, H: H, t: t, lengths: trace.lengths == nil ? nil : plen.baseAddress,
                    gates: pg.baseAddress! + t * B * GH, hPrev: phPrev.baseAddress! + t * BH,
                    y: py.baseAddress! + t * BH,
                    cPrev: lstm ? pcPrev.baseAddress! + t * BH : nil, cNext: lstm ? pcNext.baseAddress! + t * BH : nil,
                    hn: gru ? phn.baseAddress! + t * BH : nil,
                    dy: pdy.baseAddress! + t * BH, dh: pdh.baseAddress!, dc: lstm ? pdc.baseAddress! : nil,
                    dXp: pdXp.baseAddress! + t * B * GH, dHp: dHpBase + t * B * GH)
                cell.backward(step)
                // dh_{t-1} += dHp_t W_hh
                gemm(m: B, n: H, k: GH, a: dHpBase + t * B * GH, lda: GH, b: whh.baseAddress!, ldb: H,
                     beta: 1, c: pdh.baseAddress!, ldc: H)
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
            biasIH.grad.withUnsafeMutableBufferPointer { g in
                Pointwise.accumulateColumnSums(pdXp.baseAddress!, rows: rows, n: GH, into: g.baseAddress!)
            }
            // dW_hh += dHp^T H_prev,  db_hh += sum over rows of dHp
            weightHH.grad.withUnsafeMutableBufferPointer { g in
                gemm(transA: true, m: GH, n: H, k: rows, a: dHpBase, lda: GH, b: phPrev.baseAddress!, ldb: H,
                     beta: 1, c: g.baseAddress!, ldc: H)
            }
            biasHH.grad.withUnsafeMutableBufferPointer { g in
                Pointwise.accumulateColumnSums(dHpBase, rows: rows, n: GH, into: g.baseAddress!)
            }
        }}}}}}}}}}}}}}}
        return (dx, dhCarry, lstm ? dcCarry : nil)
    }
}
