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
/// (`PackedGEMM`) and, when a step's product is large enough, splits the
/// hidden units between the two threads of `WorkTeam.shared`: each thread
/// computes its units' gates, cell update and share of `dh_{t-1}`, and the two
/// meet at one barrier per step. The arithmetic per element does not depend
/// on the split, so results are the same with one thread or two.
///
/// Recurrent dropout (Keras' `recurrent_dropout`): given a mask `m` (`[B, H]`,
/// `0` or `1 / (1 - p)`, the same at every step), the product becomes
/// `Hp = (m ⊙ h_{t-1}) W_hh^T`; the state carried to the next step and the
/// output are not masked. Backward: `dh_{t-1} += m ⊙ (dHp W_hh)` and
/// `dW_hh += dHp^T (m ⊙ H_prev)`. For the GRU every use of `h` through
/// `W_hh` (r, z and `W_hn h`) sees the masked state, and the interpolation
/// `z ⊙ h` the unmasked one, as Keras does: that term is the carried state.
public final class RecurrentPass: Layer {
    /// The cell the pass runs.
    public let cell: CellKind
    /// `I`, the size of each input step.
    public let inputSize: Int
    /// `H`, the size of the state.
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
    /// The layer-normalised LSTM's gains and biases (``LSTMLayerNorm``), or nil for the plain cell.
    public let layerNorm: LSTMLayerNorm?
    /// The PyTorch name suffix, `_l{k}` or `_l{k}_reverse`.
    public let suffix: String
    /// The last forward's and backward's storage, used again by the next run of the same shape.
    private var spareTrace: PassTraceStorage?, spareGradients: PassGradientStorage?

    /// What backward needs from forward.
    public struct Trace {
        /// `[T, B, I]`: the input, for `dW_ih`.
        let x: Tensor
        /// `[T, B, H]`: the output, for ``RecurrentLayer/activations(_:)``.
        let y: Tensor
        /// The gates, states and lengths of every step.
        let storage: PassTraceStorage
        /// `[B, H]`: the recurrent dropout mask, or nil when none was applied.
        let recurrentMask: Tensor?
        /// The layer-normalised LSTM's normalised values, or nil for the plain cell.
        var layerNorm: LayerNormTraceStorage? = nil
    }

    /// A pass with PyTorch's default initialisation, U(-1/sqrt(H), 1/sqrt(H)) for every tensor;
    /// with `layerNorm` (LSTM only), the layer-normalised LSTM (``LSTMLayerNorm``, gains 1, biases 0).
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layerIndex: Int, reverse: Bool, layerNorm: Bool = false,
                rng: inout SeededRNG) {
        precondition(inputSize > 0 && hiddenSize > 0, "\(cell)(\(inputSize) => \(hiddenSize)) needs positive sizes")
        precondition(!layerNorm || cell == .lstm, "layer normalisation is implemented for the LSTM only, not \(cell)")
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
        self.layerNorm = layerNorm ? LSTMLayerNorm(hiddenSize: hiddenSize) : nil
    }

    /// `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, each with ``suffix`` (`weight_ih_l0_reverse`).
    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight_ih" + suffix, weightIH), ("weight_hh" + suffix, weightHH),
         ("bias_ih" + suffix, biasIH), ("bias_hh" + suffix, biasHH)] + (layerNorm?.namedParameters(suffix: suffix) ?? [])
    }

    // MARK: - Forward

    /// Runs the pass over `x` (`[T, B, I]`) from state `h0` (and `c0` for LSTM), each `[B, H]`;
    /// with `recurrentMask` (`[B, H]`), `h_{t-1}` enters the product `W_hh h_{t-1}` as `mask ⊙ h_{t-1}`.
    ///
    /// - Returns: the output `[T, B, H]` (zero at padded steps), the final state
    ///   (each row's state after its last real step) and the trace for backward.
    public func forward(_ x: Tensor, lengths: [Int]?, h0: Tensor, c0: Tensor?, recurrentMask: Tensor? = nil)
        -> (output: Tensor, h: Tensor, c: Tensor?, trace: Trace)
    {
        checkForward(x, lengths: lengths, h0: h0, c0: c0)
        precondition(recurrentMask == nil || recurrentMask!.shape == h0.shape,
                     "\(cell)(\(inputSize) => \(hiddenSize)) expects a recurrent mask of \(h0.shape), got \(recurrentMask!.shape)")
        let T = x.shape[0], B = x.shape[1], H = hiddenSize
        let storage = PassTraceStorage.reusing(&spareTrace, cell: cell, T: T, B: B, H: H, lengths: lengths)
        var y = Tensor(uninitializedShape: [T, B, H])      // the cell writes every row, zeros for padding
        guard T > 0, B > 0 else { return (y, h0, cell.hasCellState ? c0 : nil, Trace(x: x, y: y, storage: storage, recurrentMask: recurrentMask)) }
        h0.copy(to: storage.hPrev + time(0, T) * B * H)
        if let c0, let cPrev = storage.cPrev { c0.copy(to: cPrev + time(0, T) * B * H) }
        foldBiases(into: storage)
        projectInputs(x, into: storage.gates)
        let norms = layerNorm.map { _ in LayerNormTraceStorage(T: T, B: B, H: H) }
        y.withUnsafeMutableBufferPointer { py in
            withOptionalPointer(recurrentMask) {
                if let norms { forwardLayerNormLoop(storage, norms, y: py.baseAddress!, mask: $0) }
                else { forwardLoop(storage, y: py.baseAddress!, mask: $0) }
            }
        }
        let hT = Tensor(shape: [B, H], copying: storage.hLast), cT = storage.cLast.map { Tensor(shape: [B, H], copying: $0) }
        return (y, hT, cT, Trace(x: x, y: y, storage: storage, recurrentMask: recurrentMask, layerNorm: norms))
    }

    func checkForward(_ x: Tensor, lengths: [Int]?, h0: Tensor, c0: Tensor?) {
        let I = inputSize, H = hiddenSize
        precondition(x.rank == 3 && x.shape[2] == I, "\(cell)(\(I) => \(H)) expects x of [T, B, \(I)], got \(x.shape)")
        let T = x.shape[0], B = x.shape[1]
        if let lengths {
            precondition(lengths.count == B && lengths.allSatisfy { $0 >= 0 && $0 <= T },
                         "\(cell): lengths \(lengths) must be \(B) values in 0...\(T) (x is \(x.shape))")
        }
        precondition(h0.shape == [B, H], "\(cell)(\(I) => \(H)) expects an initial h of [\(B), \(H)], got \(h0.shape)")
        if cell.hasCellState {
            precondition(c0?.shape == [B, H], "LSTM(\(I) => \(H)) expects an initial c of [\(B), \(H)], got \(c0?.shape ?? [])")
        }
    }

    /// The biases the cell adds per step: `b_ih + b_hh`, except the GRU's
    /// `b_hn`, which sits inside `r ⊙ (W_hn h + b_hn)` and is kept apart.
    func foldBiases(into storage: PassTraceStorage) {
        let H = hiddenSize, GH = cell.gateCount * H, folded = cell == .gru ? 2 * H : GH
        biasIH.value.copy(to: storage.bias)
        biasHH.value.withUnsafeBufferPointer { bhh in
            for j in 0..<folded { storage.bias[j] += bhh[j] }
            storage.biasHN?.update(from: bhh.baseAddress! + 2 * H, count: H)
        }
    }

    /// `Xp = X W_ih^T` for all steps at once, into `gates` (`[T*B, G*H]`); the
    /// cell adds the biases per step, while the row is in cache.
    func projectInputs(_ x: Tensor, into gates: UnsafeMutablePointer<Float>) {
        let I = inputSize, GH = cell.gateCount * hiddenSize
        x.withUnsafeBufferPointer { px in
            weightIH.value.withUnsafeBufferPointer { wih in
                gemm(transB: true, m: x.shape[0] * x.shape[1], n: GH, k: I, a: px.baseAddress!, lda: I,
                     b: wih.baseAddress!, ldb: I, c: gates, ldc: GH)
            }
        }
    }

    /// The forward time loop, on one thread or with the units split over two
    /// (see ``units(H:members:member:)``); writes the output into `y` (`[T, B, H]`).
    /// With a recurrent dropout `mask` (`[B, H]`), each thread masks the whole
    /// `h_{t-1}` into its own scratch before its product.
    func forwardLoop(_ storage: PassTraceStorage, y: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?) {
        let B = storage.B, H = hiddenSize, G = cell.gateCount
        let precision = Precision.current       // read here: the helper thread does not see a task-local value
        WorkTeam.splitSteps(Self.worthSplitting(B: B, G: G, H: H)) { members, member, sync in
            let units = Self.units(H: H, members: members, member: member), Gw = G * units.count
            let packedCount = PackedGEMM.count(k: H, n: Gw, precision: precision)
            let maskedAt = packedCount + Gw * H + B * Gw
            Scratch.withBuffer(count: maskedAt + (mask == nil ? 0 : B * H)) { scratch in
                packHiddenWeights(units, into: scratch, rows: scratch + packedCount, precision: precision)
                forwardSteps(storage, units: units, packed: scratch, hp: scratch + packedCount + Gw * H, y: y,
                             dropout: mask.map { (mask: $0, masked: scratch + maskedAt) }, precision: precision, sync: sync)
            }
        }
    }

    /// `W_hh^T` restricted to the gate rows of `units`, gathered into `rows`
    /// and packed once for the whole loop.
    func packHiddenWeights(_ units: Range<Int>, into packed: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>,
                           precision: Precision) {
        let H = hiddenSize, j0 = units.lowerBound, w = units.count, G = cell.gateCount
        weightHH.value.withUnsafeBufferPointer { whh in
            for gate in 0..<G { (rows + gate * w * H).update(from: whh.baseAddress! + (gate * H + j0) * H, count: w * H) }
        }
        PackedGEMM.pack(transB: true, k: H, n: G * w, b: rows, ldb: H, into: packed, precision: precision)
    }

    /// For `s = 0..<T` (time `t`, reversed for a reverse pass), this thread's
    /// `units`: `Hp = h_{t-1} W_hh^T` (one small product into `hp`), then the
    /// cell's fused step. The threads meet once per step, so `h_t` is complete
    /// before either starts the next product. With `dropout`, the product reads
    /// `mask ⊙ h_{t-1}`, written into `masked` (`[B, H]`) first.
    func forwardSteps(_ storage: PassTraceStorage, units: Range<Int>, packed: UnsafePointer<Float>, hp: UnsafeMutablePointer<Float>,
                      y: UnsafeMutablePointer<Float>, dropout: (mask: UnsafePointer<Float>, masked: UnsafeMutablePointer<Float>)?,
                      precision: Precision, sync: () -> Void) {
        let T = storage.T, B = storage.B, H = hiddenSize, Gw = cell.gateCount * units.count
        for s in 0..<T {
            let t = time(s, T), next = s == T - 1 ? nil : time(s + 1, T)
            let step = storage.step(t, units: units)
            var h = step.hPrev
            if let dropout {
                Pointwise.multiply(step.hPrev, dropout.mask, into: dropout.masked, count: B * H)
                h = UnsafePointer(dropout.masked)
            }
            PackedGEMM.multiply(m: B, n: Gw, k: H, a: h, lda: H, packed: packed, beta: 0, c: hp, ldc: Gw,
                                precision: precision)
            cell.forward(step, storage.forward(t, next: next, hp: hp, y: y))
            if cell.hasCellState { storage.carryMemory(from: t, to: next, units: units) }
            if next != nil { sync() }
        }
    }

    // MARK: - Backward

    /// Backpropagation through time for one pass.
    ///
    /// - Parameters:
    ///   - dy: the gradient for the output, `[T, B, H]`.
    ///   - dh: the gradient for the final `h`, `[B, H]` (zeros if the loss ignores it).
    ///   - dc: the gradient for the final `c` (LSTM), `[B, H]`.
    /// - Returns: the gradient for `x` (`[T, B, I]`) and for the initial state
    ///   (`h`, and `c` for LSTM, each `[B, H]`), as ``RecurrentLayer`` returns them.
    ///   Parameter gradients are added into each parameter's `grad`.
    public func backward(_ trace: Trace, gradOutput dy: Tensor, gradH dh: Tensor, gradC dc: Tensor?) -> RecurrentGradients {
        backward(trace, gradOutput: dy, gradH: dh, gradC: dc, stateGradientSquares: nil)
    }

    /// ``backward(_:gradOutput:gradH:gradC:)`` that also writes, for each time
    /// index `t`, the squared norm of the total gradient for the state `h_t`
    /// over the batch (`dy_t` plus what flows back from later steps) into
    /// `squares[2*t] + squares[2*t + 1]` (one slot per thread of the time loop;
    /// `squares` holds `2*T` zeros on entry).
    func backward(_ trace: Trace, gradOutput dy: Tensor, gradH dh: Tensor, gradC dc: Tensor?,
                  stateGradientSquares squares: UnsafeMutablePointer<Double>?) -> RecurrentGradients
    {
        let T = trace.storage.T, B = trace.storage.B, H = hiddenSize, I = inputSize
        precondition(dy.shape == [T, B, H], "\(cell)(\(I) => \(H)) backward expects dy of [\(T), \(B), \(H)], got \(dy.shape)")
        precondition(dh.shape == [B, H], "\(cell)(\(I) => \(H)) backward expects dh of [\(B), \(H)], got \(dh.shape)")
        let grads = PassGradientStorage.reusing(&spareGradients, cell: cell, T: T, B: B, H: H, dh: dh, dc: dc,
                                                separateHidden: layerNorm != nil)
        var dx = Tensor(uninitializedShape: [T, B, I])      // the GEMM overwrites every element
        if T > 0, B > 0 {
            dy.withUnsafeBufferPointer { pdy in
                withOptionalPointer(trace.recurrentMask) {
                    if let norms = trace.layerNorm {
                        backwardLayerNormLoop(trace.storage, norms, grads, dy: pdy.baseAddress!, mask: $0, squares: squares)
                    } else {
                        backwardLoop(trace.storage, grads, dy: pdy.baseAddress!, mask: $0, squares: squares)
                    }
                }
            }
            dx.withUnsafeMutableBufferPointer { projectInputGradients(grads, into: $0.baseAddress!) }
            accumulateWeightGradients(trace, grads, biasSumsReady: trace.layerNorm != nil)
        }
        return RecurrentGradients(gradInput: dx, gradInitial: RecurrentState(h: Tensor(shape: [B, H], copying: grads.dh),
                                                                             c: grads.dc.map { Tensor(shape: [B, H], copying: $0) }))
    }

    /// The backward time loop, split as the forward one was.
    func backwardLoop(_ storage: PassTraceStorage, _ grads: PassGradientStorage, dy: UnsafePointer<Float>,
                      mask: UnsafePointer<Float>?, squares: UnsafeMutablePointer<Double>?) {
        let H = hiddenSize, GH = cell.gateCount * H
        let precision = Precision.current       // read here: the helper thread does not see a task-local value
        WorkTeam.splitSteps(Self.worthSplitting(B: storage.B, G: cell.gateCount, H: H)) { members, member, sync in
            let units = Self.units(H: H, members: members, member: member)
            let packedCount = PackedGEMM.count(k: GH, n: units.count, precision: precision)
            Scratch.withBuffer(count: packedCount + (mask == nil ? 0 : storage.B * units.count)) { packed in
                // W_hh's columns for this thread's units ([G*H, w]), packed once for the whole loop.
                weightHH.value.withUnsafeBufferPointer { whh in
                    PackedGEMM.pack(transB: false, k: GH, n: units.count, b: whh.baseAddress! + units.lowerBound, ldb: H,
                                    into: packed, precision: precision)
                }
                backwardSteps(storage, grads, units: units, member: member, packed: packed, dy: dy,
                              dropout: mask.map { (mask: $0, product: packed + packedCount) }, squares: squares,
                              precision: precision, sync: sync)
            }
        }
    }

    /// For `s = T-1` down to `0`, this thread's `units`: the cell's fused
    /// backward step turns `dh + dy_t` into `dXp_t` and `dHp_t` and leaves in
    /// `dh` the part that bypasses `W_hh`; after a barrier (every unit's
    /// `dHp_t` written), `dh[units] += dHp_t W_hh[:, units]`, or with
    /// `dropout`, `dh[units] += mask[units] ⊙ (dHp_t W_hh[:, units])` (the
    /// product first into `product`, `[B, w]`).
    func backwardSteps(_ storage: PassTraceStorage, _ grads: PassGradientStorage, units: Range<Int>, member: Int,
                       packed: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                       dropout: (mask: UnsafePointer<Float>, product: UnsafeMutablePointer<Float>)?,
                       squares: UnsafeMutablePointer<Double>?, precision: Precision, sync: () -> Void) {
        let T = storage.T, B = storage.B
        for s in stride(from: T - 1, through: 0, by: -1) {
            let t = time(s, T), step = storage.step(t, units: units), gradients = grads.step(t, dy: dy)
            if let squares {
                squares[2 * t + member] = Self.stateGradientSquares(dh: grads.dh, dy: gradients.dy, step: step)
            }
            cell.backward(step, gradients)
            sync()
            carryBack(gradients.dHp, B: B, units: units, packed: packed, into: grads.dh, dropout: dropout, precision: precision)
        }
    }

    /// `dh[:, units] += dHp W_hh[:, units]` (`dHp` `[B, G*H]`, `W_hh`'s columns
    /// packed), or with `dropout`, `dh[:, units] += mask[:, units] ⊙ (dHp W_hh[:, units])`,
    /// the product first into `product` (`[B, w]`).
    func carryBack(_ dHp: UnsafePointer<Float>, B: Int, units: Range<Int>, packed: UnsafePointer<Float>, into dh: UnsafeMutablePointer<Float>,
                   dropout: (mask: UnsafePointer<Float>, product: UnsafeMutablePointer<Float>)?, precision: Precision) {
        let H = hiddenSize, GH = cell.gateCount * H, w = units.count, j0 = units.lowerBound
        if let dropout {
            PackedGEMM.multiply(m: B, n: w, k: GH, a: dHp, lda: GH, packed: packed, beta: 0, c: dropout.product, ldc: w, precision: precision)
            Pointwise.addProduct(rows: B, n: w, dropout.product, ldx: w, dropout.mask + j0, ldm: H, into: dh + j0, ldy: H)
        } else {
            PackedGEMM.multiply(m: B, n: w, k: GH, a: dHp, lda: GH, packed: packed, beta: 1, c: dh + j0, ldc: H, precision: precision)
        }
    }

    /// `dX = dXp W_ih` for all steps at once (`[T*B, I]`).
    func projectInputGradients(_ grads: PassGradientStorage, into dx: UnsafeMutablePointer<Float>) {
        let I = inputSize, GH = cell.gateCount * hiddenSize
        weightIH.value.withUnsafeBufferPointer { wih in
            gemm(m: grads.T * grads.B, n: I, k: GH, a: grads.dXp, lda: GH, b: wih.baseAddress!, ldb: I, c: dx, ldc: I)
        }
    }

    /// After the loop: `dW_ih += dXp^T X`, `db_ih += Σ_rows dXp`,
    /// `dW_hh += dHp^T H_prev` (`H_prev` masked step by step under recurrent
    /// dropout), `db_hh += Σ_rows dHp` (the same sums as `dXp`'s unless GRU).
    /// With `biasSumsReady`, `grads.sums` already holds both biases' gradient
    /// (the layer-normalised LSTM's gate gradients, before its normalisations).
    func accumulateWeightGradients(_ trace: Trace, _ grads: PassGradientStorage, biasSumsReady: Bool = false) {
        let rows = grads.T * grads.B, I = inputSize, H = hiddenSize, GH = cell.gateCount * H
        trace.x.withUnsafeBufferPointer { x in
            weightIH.grad.withUnsafeMutableBufferPointer { g in
                gemm(transA: true, m: GH, n: I, k: rows, a: grads.dXp, lda: GH, b: x.baseAddress!, ldb: I,
                     beta: 1, c: g.baseAddress!, ldc: I)
            }
        }
        if !biasSumsReady { Pointwise.accumulateColumnSums(grads.dXp, rows: rows, n: GH, into: grads.sums) }
        biasIH.grad.withUnsafeMutableBufferPointer { g in for j in 0..<GH { g[j] += grads.sums[j] } }
        withMaskedStates(trace) { hPrev in
            weightHH.grad.withUnsafeMutableBufferPointer { g in
                gemm(transA: true, m: GH, n: H, k: rows, a: grads.dHp, lda: GH, b: hPrev, ldb: H,
                     beta: 1, c: g.baseAddress!, ldc: H)
            }
        }
        biasHH.grad.withUnsafeMutableBufferPointer { g in
            if cell == .gru {
                Pointwise.accumulateColumnSums(grads.dHp, rows: rows, n: GH, into: g.baseAddress!)
            } else {
                for j in 0..<GH { g[j] += grads.sums[j] }
            }
        }
    }

    // MARK: - Helpers

    /// `body` given the states the products read, `[T, B, H]`: the trace's
    /// `H_prev`, or `mask ⊙ H_prev` at every step under recurrent dropout.
    func withMaskedStates<R>(_ trace: Trace, _ body: (UnsafePointer<Float>) -> R) -> R {
        let storage = trace.storage, n = storage.B * hiddenSize
        guard let mask = trace.recurrentMask else { return body(storage.hPrev) }
        return Scratch.withBuffer(count: storage.T * n) { masked in
            mask.withUnsafeBufferPointer { m in
                for t in 0..<storage.T { Pointwise.multiply(storage.hPrev + t * n, m.baseAddress!, into: masked + t * n, count: n) }
            }
            return body(masked)
        }
    }

    /// `body` given `tensor`'s storage, or nil.
    func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let tensor else { return body(nil) }
        return tensor.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// The time index of processing step `s`.
    @inline(__always) func time(_ s: Int, _ T: Int) -> Int { reverse ? T - 1 - s : s }

    /// `Σ_b Σ_{j in units} (dh[b, j] + dy[b, j])²` over the step's units
    /// (`dy` only for active rows: a padded step's output is a constant zero):
    /// this thread's share of `|dL/dh_t|²` before the cell's backward step consumes it.
    static func stateGradientSquares(dh: UnsafePointer<Float>, dy: UnsafePointer<Float>, step: CellStep) -> Double {
        var sum = 0.0
        for b in 0..<step.B {
            let on = step.isActive(b)
            for j in step.j0..<(step.j0 + step.w) {
                let g = Double(dh[b * step.H + j]) + (on ? Double(dy[b * step.H + j]) : 0)
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
