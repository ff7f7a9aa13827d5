import CKernels

/// Products with a right-hand matrix packed once for the built-in
/// micro-kernel and used many times: a recurrent layer packs `W_hh` once per
/// pass and multiplies each step's batch of states by it, where a plain
/// ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:backend:)`` would
/// re-pack it on every step. Single-threaded; callers split the columns.
enum PackedGEMM {
    /// Floats needed to pack `op(B)` of `k x n`.
    static func count(k: Int, n: Int) -> Int { ck_packed_b_count(CPU.isa, k, n) }

    /// Packs `op(B)` (`k x n`; `B` row-major with row stride `ldb`, transposed
    /// when `transB`) into `packed`, which holds ``count(k:n:)`` floats, 64-byte aligned.
    static func pack(transB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, into packed: UnsafeMutablePointer<Float>) {
        precondition(ldb >= max(1, transB ? k : n), "PackedGEMM.pack: ldb=\(ldb) too small for k=\(k) n=\(n)")
        ck_pack_b(CPU.isa, transB ? 1 : 0, k, n, b, ldb, packed)
    }

    /// `C = A op(B) + beta C` with `A` row-major `[m, k]` (row stride `lda`),
    /// `op(B)` packed by ``pack(transB:k:n:b:ldb:into:)``; `beta` is 0 or 1.
    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "PackedGEMM.multiply: beta must be 0 or 1")
        precondition(lda >= max(1, k) && ldc >= max(1, n), "PackedGEMM.multiply: lda=\(lda) ldc=\(ldc) too small for n=\(n) k=\(k)")
        ck_sgemm_packed(CPU.isa, m, n, k, a, lda, packed, beta, c, ldc)
    }
}
