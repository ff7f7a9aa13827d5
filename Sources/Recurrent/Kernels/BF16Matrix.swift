import CKernels

/// A weight matrix rounded to bfloat16 for batch-1 generation under
/// ``Precision/bf16``: half the bytes to read per token, products accumulated
/// in float. Rows are padded to whole 64-byte chunks.
final class BF16Matrix: @unchecked Sendable {
    let rows: Int, columns: Int, stride: Int
    private let storage: UnsafeMutablePointer<UInt16>

    /// Rounds `a` (`[rows, columns]`, row stride `lda`) to bfloat16.
    init(rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int) {
        self.rows = rows
        self.columns = columns
        stride = ck_bf16_row_stride(columns)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * stride) * 2, alignment: 64)
        storage = raw.bindMemory(to: UInt16.self, capacity: max(1, rows * stride))
        ck_bf16_matrix(rows, columns, a, lda, storage)
    }

    /// Rounds a `[rows, columns]` tensor.
    convenience init(_ t: Tensor) {
        let (m, k) = (t.shape[0], t.count / max(t.shape[0], 1))
        self.init(rows: m, columns: k, a: t.withUnsafeBufferPointer { $0.baseAddress! }, lda: k)
    }

    deinit { UnsafeMutableRawPointer(storage).deallocate() }

    /// `y[rows] = A[rows] x + beta y[rows]` for the given rows (`x` has `columns` floats).
    func multiply(rows range: Range<Int>, x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        if ck_sgemv_bf16(range.count, columns, storage + range.lowerBound * stride, x, beta, y + range.lowerBound) == 0 {
            // Only made where the CPU has AVX512-BF16 (Precision.current), so this is not reached;
            // the exact product of the rounded weights is the fallback.
            for i in range {
                var s: Float = 0
                for k in 0..<columns { s += ck_float_from_bf16(storage[i * stride + k]) * x[k] }
                y[i] = beta == 0 ? s : s + beta * y[i]
            }
        }
    }

    /// The whole product, rows split over the threads when it is large enough.
    func multiply(x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        let parts = rows * columns >= 256 * 1024 && ck_serial() == 0 ? min(Threads.count, rows / 64) : 1
        if parts <= 1 { return multiply(rows: 0..<rows, x: x, beta: beta, y: y) }
        let step = ((rows + parts - 1) / parts + 3) / 4 * 4
        Threads.parallelFor((rows + step - 1) / step) { p in
            multiply(rows: (p * step)..<min(rows, (p + 1) * step), x: x, beta: beta, y: y)
        }
    }
}
