/// The memory of one ``RecurrentPass`` backward run, allocated once,
/// 64-byte aligned, in one block this object owns: the gradients for every
/// step's projections, which the weight gradients need after the loop, and
/// the state gradients the loop carries from the future to the past.
///
/// Shapes: `T` steps, `B` rows, `H` units, `G` gate blocks, indexed by time.
final class PassGradientStorage {
    let T: Int, B: Int, H: Int, G: Int
    /// `[T, B, G*H]`: the gradient for each step's input projection `Xp`.
    let dXp: UnsafeMutablePointer<Float>
    /// `[T, B, G*H]`: the gradient for each step's hidden projection `Hp`:
    /// its own buffer for the GRU and the layer-normalised LSTM, the same as
    /// ``dXp`` for cells where the two are equal.
    let dHp: UnsafeMutablePointer<Float>
    /// Whether ``dHp`` is its own buffer.
    let separateHidden: Bool
    /// `[B, H]`: the gradient for the state, carried back: in, for the final
    /// `h`; after the loop, for the initial one.
    let dh: UnsafeMutablePointer<Float>
    /// `[B, H]`: the same for the LSTM memory (nil for other cells).
    let dc: UnsafeMutablePointer<Float>?
    /// `[G*H]`: the column sums of ``dXp``, zero until the pass adds them (the bias gradients).
    let sums: UnsafeMutablePointer<Float>
    private let memory: UnsafeMutableRawPointer

    /// Storage starting from `dh` (`[B, H]`) and, for the LSTM, `dc` (zeros when nil);
    /// ``dHp`` is its own buffer for the GRU or with `separateHidden`.
    init(cell: CellKind, T: Int, B: Int, H: Int, dh: Tensor, dc: Tensor?, separateHidden: Bool = false) {
        (self.T, self.B, self.H, self.G) = (T, B, H, cell.gateCount)
        let lstm = cell == .lstm, gru = cell == .gru || separateHidden, rows = T * B * G * H
        self.separateHidden = gru
        var layout = AlignedLayout()
        let at = (dXp: layout.reserve(Float.self, count: rows), dHp: layout.reserve(Float.self, count: gru ? rows : 0),
                  dh: layout.reserve(Float.self, count: B * H), dc: layout.reserve(Float.self, count: lstm ? B * H : 0),
                  sums: layout.reserve(Float.self, count: G * H))
        memory = layout.allocate()
        dXp = memory.region(at: at.dXp, Float.self, count: rows)
        dHp = gru ? memory.region(at: at.dHp, Float.self, count: rows) : dXp
        self.dh = memory.region(at: at.dh, Float.self, count: B * H)
        self.dc = lstm ? memory.region(at: at.dc, Float.self, count: B * H) : nil
        sums = memory.region(at: at.sums, Float.self, count: G * H)
        prepare(dh: dh, dc: dc)
    }

    /// Readies the storage for a backward run from `dh` and `dc` (zeros when nil): sums zeroed.
    func prepare(dh: Tensor, dc: Tensor?) {
        dh.copy(to: self.dh)
        if let carry = self.dc {
            if let dc { dc.copy(to: carry) } else { carry.update(repeating: 0, count: B * H) }
        }
        sums.update(repeating: 0, count: G * H)
    }

    /// `spare` prepared when it has this shape, else new storage kept as the
    /// spare (backward never lets its storage escape, so the spare is free
    /// whenever backward starts).
    static func reusing(_ spare: inout PassGradientStorage?, cell: CellKind, T: Int, B: Int, H: Int,
                        dh: Tensor, dc: Tensor?, separateHidden: Bool = false) -> PassGradientStorage {
        if let candidate = spare, candidate.T == T, candidate.B == B, candidate.H == H, candidate.G == cell.gateCount,
           candidate.separateHidden == (cell == .gru || separateHidden) {
            candidate.prepare(dh: dh, dc: dc)
            return candidate
        }
        let fresh = PassGradientStorage(cell: cell, T: T, B: B, H: H, dh: dh, dc: dc, separateHidden: separateHidden)
        spare = fresh
        return fresh
    }

    deinit { memory.deallocate() }

    /// Backward step `t`'s gradients, with `dy` the gradient for the whole output (`[T, B, H]`).
    @inline(__always) func step(_ t: Int, dy: UnsafePointer<Float>) -> CellStep.Gradients {
        let rows = t * B * G * H
        return CellStep.Gradients(dy: dy + t * B * H, dh: dh, dc: dc, dXp: dXp + rows, dHp: dHp + rows)
    }
}
