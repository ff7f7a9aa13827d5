import CKernels
import Foundation

/// `log_softmax` of each row of `[N, V]` logits, in place:
/// `x_v - m - log(sum_u exp(x_u - m))` with `m` the row's maximum (stable),
/// the exponentials by the vector kernel, the rows split over the cores.
func logSoftmaxRows(_ x: inout Tensor) {
    precondition(x.rank == 2, "logSoftmaxRows expects [N, V], got \(x.shape)")
    let N = x.shape[0], V = x.shape[1]
    guard N > 0, V > 0 else { return }
    x.withUnsafeMutableBufferPointer { px in
        let base = px.baseAddress!
        Threads.forChunks(count: N, chunkSize: max(1, Threads.chunkSize / V)) { _, rows in
            let work = UnsafeMutablePointer<Float>.allocate(capacity: V)
            defer { work.deallocate() }
            for n in rows {
                let row = base + n * V
                let m = ck_vmax(CPU.isa, row, V)
                for v in 0..<V { work[v] = row[v] - m }
                Pointwise.exp(work, work, V)
                let logZ = m + logf(ck_vsum(CPU.isa, work, V))
                for v in 0..<V { row[v] -= logZ }
            }
        }
    }
}
