import CKernels
import Foundation

/// Which implementation computes matrix products.
package enum GEMMBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The package's own packed kernel (AVX-512, AVX2+FMA or portable, chosen at run time),
    /// threaded over ``Threads/count``.
    case builtin
    /// OpenBLAS's `cblas_sgemm`, loaded at run time when the system has it.
    case openblas

    package var description: String { rawValue }

    /// Whether this backend can run here.
    package var isAvailable: Bool {
        switch self {
        case .builtin: return true
        case .openblas: return OpenBLAS.isAvailable
        }
    }

    /// The backends that can run here, builtin first.
    package static var available: [GEMMBackend] { allCases.filter(\.isAvailable) }

    /// The backend `RNN_BLAS=builtin|openblas` forces for every product, when set
    /// to an available backend (`auto` or unset: chosen per class of product).
    /// ``environmentProblem`` says when the variable asks for something that cannot run.
    package static let forced: GEMMBackend? = {
        guard let text = ProcessInfo.processInfo.environment["RNN_BLAS"],
              let wanted = GEMMBackend(rawValue: text.lowercased()), wanted.isAvailable else { return nil }
        return wanted
    }()

    /// Why `RNN_BLAS` cannot be honoured (an unknown name, or OpenBLAS asked for
    /// but not installed), or nil. The `rnn` tool refuses to start on it.
    package static var environmentProblem: String? {
        guard let text = ProcessInfo.processInfo.environment["RNN_BLAS"], !text.isEmpty else { return nil }
        if text.lowercased() == "auto" { return nil }
        guard let wanted = GEMMBackend(rawValue: text.lowercased()) else {
            return "RNN_BLAS=\(text): expected builtin, openblas or auto"
        }
        if !wanted.isAvailable {
            return "RNN_BLAS=\(text): OpenBLAS is not installed here (no libopenblas.so.0 found); install libopenblas0-pthread, or unset RNN_BLAS"
        }
        return nil
    }

    /// Where the per-machine calibration is kept between processes (the `rnn`
    /// tool sets it to its user cache before the first product); nil measures
    /// again in each process.
    nonisolated(unsafe) package static var calibrationCachePath: String?

    /// The per-class choice, measured on first use when OpenBLAS is present and
    /// no backend is forced (see ``GEMMCalibration``); nil otherwise.
    static let calibration: GEMMCalibration? = {
        guard forced == nil, let lib = OpenBLAS.library else { return nil }
        var excluded: [String: String] = [:]
        var candidates = [GEMMCalibration.Candidate(backend: .builtin) { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            ck_sgemm(CPU.isa, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }]
        if let why = OpenBLAS.coreBelowCPU {
            excluded[GEMMBackend.openblas.rawValue] = why
        } else {
            candidates.append(GEMMCalibration.Candidate(backend: .openblas, kernel: OpenBLAS.kernel(lib.sgemm)))
        }
        let key = calibrationKey
        if let path = calibrationCachePath, let saved = GEMMCalibration.cached(at: path, key: key) { return saved }
        let measured = GEMMCalibration.measure(key: key, candidates: candidates, excluded: excluded)
        if let path = calibrationCachePath { measured.save(to: path) }
        return measured
    }()

    /// What a calibration depends on; a cached one made under another key is measured again.
    static var calibrationKey: String {
        [Recurrent.version, CPU.modelName, CPU.features, CPU.name(of: CPU.isa), OpenBLAS.library?.path ?? "-", OpenBLAS.config ?? "-"]
            .joined(separator: " | ")
    }

    /// Overrides the backend for the current task and the work it awaits
    /// (tests run the same code under each backend this way).
    @TaskLocal package static var override: GEMMBackend?

    /// The backend that runs a product of this layout and size.
    package static func serving(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> GEMMBackend {
        if let b = override ?? forced { return b }
        return calibration?.backend(for: GEMMShapeClass(transA: transA, transB: transB, m: m, n: n, k: k)) ?? .builtin
    }

    /// One word for logs and benchmark output: the forced backend, `builtin`
    /// when it is the only one, or `auto` when chosen per class of product.
    package static var inUse: String {
        if let b = override ?? forced { return b.rawValue }
        guard let c = calibration else { return GEMMBackend.builtin.rawValue }
        let picked = Set(GEMMShapeClass.allCases.map { c.backend(for: $0) })
        return picked.count == 1 ? "\(picked.first!) (calibrated)" : "auto"
    }

    /// Which backend serves which products, and why, as `rnn info` prints it.
    package static var explanation: [String] {
        if let b = override ?? forced { return ["every product: \(b) (forced by RNN_BLAS)"] }
        guard let c = calibration else {
            if let why = OpenBLAS.coreBelowCPU { return ["every product: builtin (\(why))"] }
            return ["every product: builtin (OpenBLAS not installed)"]
        }
        return c.explanation
    }
}

/// Row-major single-precision matrix product, BLAS style:
/// `C = alpha * op(A) * op(B) + beta * C`, where `op(A)` is `[m, k]`, `op(B)` is
/// `[k, n]` and `C` is `[m, n]`; `op(X)` is `X` or its transpose.
///
/// - Parameters:
///   - lda, ldb, ldc: the row strides of A, B and C as stored (before `op`).
///   - beta: 0 overwrites C, 1 accumulates into it.
///   - backend: which implementation to use; by default the one that serves
///     this layout and size here (``GEMMBackend/serving(transA:transB:m:n:k:)``).
///
/// Denormal inputs and results are flushed to zero (see ``withoutDenormals(_:)``).
/// Under ``Precision/bf16`` the operands are rounded to bfloat16 (the backend is then the built-in bf16 kernel).
package func gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    backend: GEMMBackend? = nil
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k) && ldb >= max(1, transB ? k : n) && ldc >= max(1, n),
                 "gemm: leading dimensions lda=\(lda) ldb=\(ldb) ldc=\(ldc) too small for m=\(m) n=\(n) k=\(k)")
    if m == 0 || n == 0 { return }
    if Precision.current == .bf16 {
        withoutDenormals {
            partitionedGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                            beta: beta, c: c, ldc: ldc, threads: ck_serial() != 0 ? 1 : Threads.count, kernel: bf16GEMMKernel)
        }
        return
    }
    withoutDenormals {
        gemmDispatch(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c, ldc: ldc,
                     backend: backend ?? GEMMBackend.serving(transA: transA, transB: transB, m: m, n: n, k: k))
    }
}

/// The front door's choice of kernel and threads (denormals already flushed).
private func gemmDispatch(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, backend: GEMMBackend) {
    if ck_serial() != 0 {
        ck_sgemm(CPU.isa, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    switch backend {
    case .openblas:
        if let lib = OpenBLAS.library {
            // OpenBLAS runs single-threaded per call (set at load); the cores are shared out
            // here, as for the built-in kernel, so no OpenBLAS worker spins between calls.
            partitionedGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                            beta: beta, c: c, ldc: ldc, threads: Threads.count, kernel: OpenBLAS.kernel(lib.sgemm))
            return
        }
        fallthrough
    case .builtin:
        builtinGEMM(isa: CPU.isa, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: Threads.count)
    }
}

/// The bfloat16 kernel on one block (the float kernel if it cannot run).
func bf16GEMMKernel(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                    _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    if ck_sgemm_bf16(ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0 {
        ck_sgemm(CPU.isa, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// One single-threaded GEMM on a block: `(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)`.
typealias GEMMKernel = (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Float,
                        UnsafeMutablePointer<Float>, Int) -> Void

/// Splits C into one block per thread (columns when C is wide, rows when it is
/// tall; small products stay on one thread) and runs `kernel` on each block.
func partitionedGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, kernel: GEMMKernel) {
    let work = 2.0 * Double(m) * Double(n) * Double(k)
    let quantum = 32
    let parts = work < 1_000_000 ? 1 : threads
    if parts > 1 && n >= m && n >= parts * quantum {
        let step = (n + parts - 1) / parts / quantum * quantum + quantum
        Threads.parallelFor((n + step - 1) / step) { p in
            let j0 = p * step, cols = min(step, n - j0)
            kernel(transA, transB, m, cols, k, alpha, a, lda, transB ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc)
        }
    } else if parts > 1 && m >= parts * 8 {
        let step = (m + parts - 1) / parts
        Threads.parallelFor((m + step - 1) / step) { p in
            let i0 = p * step, rows = min(step, m - i0)
            kernel(transA, transB, rows, n, k, alpha, transA ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc, ldc)
        }
    } else {
        kernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// Matrix-vector product `y = A x + beta y` (`A` row-major `[m, k]`, row stride
/// `lda`), the batch-1 path of generation: rows are split over the threads when
/// the matrix is large enough to pay for it.
func gemv(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                 beta: Float = 0, y: UnsafeMutablePointer<Float>) {
    precondition(m >= 0 && k >= 0 && lda >= max(1, k), "gemv: bad sizes m=\(m) k=\(k) lda=\(lda)")
    let parts = m * k >= 256 * 1024 && ck_serial() == 0 ? min(Threads.count, m / 64) : 1
    if parts <= 1 {
        ck_sgemv(CPU.isa, m, k, a, lda, x, beta, y)
        return
    }
    let step = ((m + parts - 1) / parts + 3) / 4 * 4
    Threads.parallelFor((m + step - 1) / step) { p in
        let i0 = p * step
        ck_sgemv(CPU.isa, min(step, m - i0), k, a + i0 * lda, lda, x, beta, y + i0)
    }
}

/// Two matrix-vector products, `y1 = A1 x1 + beta y1` and `y2 = A2 x2 + beta y2`
/// (both with `m` rows), in one parallel region: each thread takes a share of
/// the rows of both, so a recurrent layer's `W_ih x` and `W_hh h` cost one
/// hand-off between threads instead of two.
func gemvPair(m: Int, k1: Int, a1: UnsafePointer<Float>, x1: UnsafePointer<Float>, y1: UnsafeMutablePointer<Float>,
                     k2: Int, a2: UnsafePointer<Float>, x2: UnsafePointer<Float>, y2: UnsafeMutablePointer<Float>, beta: Float = 0) {
    let parts = m * (k1 + k2) >= 256 * 1024 && ck_serial() == 0 ? min(Threads.count, m / 64) : 1
    if parts <= 1 {
        ck_sgemv(CPU.isa, m, k1, a1, k1, x1, beta, y1)
        ck_sgemv(CPU.isa, m, k2, a2, k2, x2, beta, y2)
        return
    }
    let step = ((m + parts - 1) / parts + 3) / 4 * 4
    Threads.parallelFor((m + step - 1) / step) { p in
        let i0 = p * step, rows = min(step, m - i0)
        ck_sgemv(CPU.isa, rows, k1, a1 + i0 * k1, k1, x1, beta, y1 + i0)
        ck_sgemv(CPU.isa, rows, k2, a2 + i0 * k2, k2, x2, beta, y2 + i0)
    }
}

/// The built-in kernel, with C split into one block per thread (see ``partitionedGEMM``).
package func builtinGEMM(
    isa: ck_isa, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
) {
    partitionedGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc, threads: threads) { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
        ck_sgemm(isa, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// The plain triple loop, in `Double`: the oracle every fast backend is tested against.
package func naiveGEMM(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let x = transA ? a[p * lda + i] : a[i * lda + p]
                let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(x) * Double(y)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * sum + old)
        }
    }
}
