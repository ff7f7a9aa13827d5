/// The memory of one ``RecurrentPass`` forward run: what its time loop writes
/// and its backward reads again, allocated once, 64-byte aligned, in one
/// block this object owns. The pointers stay valid as long as it lives (the
/// pass's ``RecurrentPass/Trace`` holds it), so the loops reach every buffer
/// directly, as llm.c's activation structs do. Backward only reads it.
///
/// Shapes: `T` steps, `B` rows, `H` units, `G` gate blocks; `[T, B, ...]`
/// buffers are indexed by time, whatever the pass's direction.
final class PassTraceStorage {
    let T: Int, B: Int, H: Int, G: Int
    /// `[T, B, G*H]`: each step's input projection `x_t W_ih^T`, which the
    /// cell turns into its gate activations (the Elman cell's: `h_t`).
    let gates: UnsafeMutablePointer<Float>
    /// `[T, B, H]`: the state each step started from.
    let hPrev: UnsafeMutablePointer<Float>
    /// `[T, B, H]`: the LSTM memory before and after each step (nil for other cells).
    let cPrev: UnsafeMutablePointer<Float>?, cNext: UnsafeMutablePointer<Float>?
    /// `[T, B, H]`: the GRU's `W_hn h + b_hn` per step (nil for other cells).
    let hn: UnsafeMutablePointer<Float>?
    /// `[B, H]`: the state after the last step, and the LSTM memory.
    let hLast: UnsafeMutablePointer<Float>, cLast: UnsafeMutablePointer<Float>?
    /// `[G*H]`: `b_ih`, plus `b_hh` wherever it adds straight into a
    /// pre-activation (all but the GRU's `n`); the cell adds it per step.
    let bias: UnsafeMutablePointer<Float>
    /// `[H]`: the GRU's `b_hn`, inside its reset gate's product (nil for other cells).
    let biasHN: UnsafeMutablePointer<Float>?
    /// `[B]`: the sequence lengths, or nil when every row runs all `T` steps.
    private(set) var lengths: UnsafeMutablePointer<Int>?
    private let lengthsRegion: UnsafeMutablePointer<Int>
    private let memory: UnsafeMutableRawPointer

    /// Storage for `T` steps of `B` rows. Every element is written by the
    /// forward run before it is read, except `hn`, which is zero at padded steps.
    init(cell: CellKind, T: Int, B: Int, H: Int, lengths: [Int]?) {
        (self.T, self.B, self.H, self.G) = (T, B, H, cell.gateCount)
        let lstm = cell == .lstm, gru = cell == .gru, steps = T * B * H
        var layout = AlignedLayout()
        let at = (gates: layout.reserve(Float.self, count: G * steps), hPrev: layout.reserve(Float.self, count: steps),
                  cPrev: layout.reserve(Float.self, count: lstm ? steps : 0), cNext: layout.reserve(Float.self, count: lstm ? steps : 0),
                  hn: layout.reserve(Float.self, count: gru ? steps : 0), hLast: layout.reserve(Float.self, count: B * H),
                  cLast: layout.reserve(Float.self, count: lstm ? B * H : 0), bias: layout.reserve(Float.self, count: G * H),
                  biasHN: layout.reserve(Float.self, count: gru ? H : 0), lengths: layout.reserve(Int.self, count: B))
        memory = layout.allocate()
        gates = memory.region(at: at.gates, Float.self, count: G * steps)
        hPrev = memory.region(at: at.hPrev, Float.self, count: steps)
        cPrev = lstm ? memory.region(at: at.cPrev, Float.self, count: steps) : nil
        cNext = lstm ? memory.region(at: at.cNext, Float.self, count: steps) : nil
        hn = gru ? memory.region(at: at.hn, Float.self, count: steps) : nil
        hLast = memory.region(at: at.hLast, Float.self, count: B * H)
        cLast = lstm ? memory.region(at: at.cLast, Float.self, count: B * H) : nil
        bias = memory.region(at: at.bias, Float.self, count: G * H)
        biasHN = gru ? memory.region(at: at.biasHN, Float.self, count: H) : nil
        lengthsRegion = memory.region(at: at.lengths, Int.self, count: B)
        prepare(lengths: lengths)
    }

    deinit { memory.deallocate() }

    /// Readies the storage for a forward run over sequences of `lengths`
    /// (nil: all `T` steps): the lengths copied in, `hn` zeroed.
    func prepare(lengths given: [Int]?) {
        lengths = given == nil ? nil : lengthsRegion
        if let given { lengthsRegion.update(from: given, count: B) }
        hn?.update(repeating: 0, count: T * B * H)
    }

    /// `spare` when it has this shape and nothing else holds it (the trace it
    /// served is gone), prepared for `lengths`; else new storage, kept as the
    /// spare. A layer trained step after step so writes into the same memory
    /// each step instead of faulting fresh pages in (a block above malloc's
    /// mmap threshold is handed back to the system when freed).
    static func reusing(_ spare: inout PassTraceStorage?, cell: CellKind, T: Int, B: Int, H: Int, lengths: [Int]?) -> PassTraceStorage {
        if var candidate = spare, candidate.T == T, candidate.B == B, candidate.H == H, candidate.G == cell.gateCount {
            spare = nil
            if isKnownUniquelyReferenced(&candidate) {
                candidate.prepare(lengths: lengths)
                spare = candidate
                return candidate
            }
        }
        let fresh = PassTraceStorage(cell: cell, T: T, B: B, H: H, lengths: lengths)
        spare = fresh
        return fresh
    }

    /// Step `t`'s rows for the hidden units `units`.
    @inline(__always) func step(_ t: Int, units: Range<Int>) -> CellStep {
        let state = t * B * H
        return CellStep(B: B, H: H, t: t, lengths: lengths.map { UnsafePointer($0) }, j0: units.lowerBound, w: units.count,
                        gates: gates + G * state, hPrev: hPrev + state, cPrev: cPrev.map { UnsafePointer($0 + state) },
                        cNext: cNext.map { $0 + state }, hn: hn.map { $0 + state })
    }

    /// The rest of forward step `t`'s buffers: `h_t` goes where step `next`
    /// starts from, or to ``hLast`` after the last step.
    @inline(__always) func forward(_ t: Int, next: Int?, hp: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) -> CellStep.Forward {
        CellStep.Forward(bias: bias, hp: hp, biasHN: biasHN, hNext: next.map { hPrev + $0 * B * H } ?? hLast, y: y + t * B * H)
    }

    /// Copies the LSTM memory `c_t` of `units` to where step `next` starts from, or to ``cLast``.
    @inline(__always) func carryMemory(from t: Int, to next: Int?, units: Range<Int>) {
        guard let cNext, let cPrev, let cLast else { return }
        let to = next.map { cPrev + $0 * B * H } ?? cLast, from = cNext + t * B * H
        for b in 0..<B { (to + b * H + units.lowerBound).update(from: from + b * H + units.lowerBound, count: units.count) }
    }
}
