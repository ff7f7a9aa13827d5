/// What the layer-normalised LSTM's forward run keeps for backward, beside
/// ``PassTraceStorage``: the normalised values and `1 / σ` of each row of the
/// three normalisations, indexed by time. Allocated once per forward run, in one block.
final class LayerNormTraceStorage {
    /// `[T, B, 4H]` and `[T, B]`: `LN(W_ih x_t)`'s `x̂` and `rstd`.
    let xHat: UnsafeMutablePointer<Float>, xRstd: UnsafeMutablePointer<Float>
    /// `[T, B, 4H]` and `[T, B]`: `LN(W_hh h_{t-1})`'s.
    let hHat: UnsafeMutablePointer<Float>, hRstd: UnsafeMutablePointer<Float>
    /// `[T, B, H]` and `[T, B]`: `LN(c_t)`'s.
    let cHat: UnsafeMutablePointer<Float>, cRstd: UnsafeMutablePointer<Float>
    private let memory: UnsafeMutableRawPointer

    init(T: Int, B: Int, H: Int) {
        let rows = T * B
        var layout = AlignedLayout()
        let at = (xHat: layout.reserve(Float.self, count: rows * 4 * H), xRstd: layout.reserve(Float.self, count: rows),
                  hHat: layout.reserve(Float.self, count: rows * 4 * H), hRstd: layout.reserve(Float.self, count: rows),
                  cHat: layout.reserve(Float.self, count: rows * H), cRstd: layout.reserve(Float.self, count: rows))
        memory = layout.allocate()
        xHat = memory.region(at: at.xHat, Float.self, count: rows * 4 * H)
        xRstd = memory.region(at: at.xRstd, Float.self, count: rows)
        hHat = memory.region(at: at.hHat, Float.self, count: rows * 4 * H)
        hRstd = memory.region(at: at.hRstd, Float.self, count: rows)
        cHat = memory.region(at: at.cHat, Float.self, count: rows * H)
        cRstd = memory.region(at: at.cRstd, Float.self, count: rows)
    }

    deinit { memory.deallocate() }
}
