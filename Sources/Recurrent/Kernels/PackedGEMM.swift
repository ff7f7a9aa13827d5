import CKernels

/// Products with a right-hand matrix packed once for the built-in
/// micro-kernel and used many times: a recurrent layer packs `W_hh` once per
/// pass and multiplies each step's batch of states by it, where a plain
/// ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:backend:)`` would
/// re-pack it on every step. Single-threaded; callers split the columns.
///
/// The three calls of one product must be given the same `precision`, read
/// once by the caller (``Precision/current`` is task-local, and helper threads
/// do not see it): under bf16, `B` is packed as bfloat16 pairs.
enum PackedGEMM {
    /// Floats (or bfloat16 pairs) needed to pack `op(B)` of `k x n`.
    static func count(k: Int, n: Int, precision: Precision) -> Int {
        precision == .bf16 ? ck_packed_b_count_bf16(k, n) : ck_packed_b_count(CPU.isa, k, n)
    }

    /// Packs `op(B)` (`k x n`; `B` row-major with row stride `ldb`, transposed
    /// when `transB`) into `packed`, which holds ``count(k:n:precision:)`` floats, 64-byte aligned.
    static func pack(transB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, into packed: UnsafeMutablePointer<Float>,
                     precision: Precision) {
        precondition(ldb >= max(1, transB ? k : n), "PackedGEMM.pack: ldb=\(ldb) too small for k=\(k) n=\(n)")
        if precision == .bf16 {
            ck_pack_b_bf16(transB ? 1 : 0, k, n, b, ldb, UnsafeMutablePointer<UInt32>(OpaquePointer(packed)))
        } else {
            ck_pack_b(CPU.isa, transB ? 1 : 0, k, n, b, ldb, packed)
        }
    }

    /// `C = A op(B) + beta C` with `A` row-major `[m, k]` (row stride `lda`),
    /// `op(B)` packed by ``pack(transB:k:n:b:ldb:into:precision:)``; `beta` is 0 or 1.
    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, precision: Precision) {
        precondition(beta == 0 || beta == 1, "PackedGEMM.multiply: beta must be 0 or 1")
        precondition(lda >= max(1, k) && ldc >= max(1, n), "PackedGEMM.multiply: lda=\(lda) ldc=\(ldc) too small for n=\(n) k=\(k)")
        if precision == .bf16 {
            // Packed as bf16 only where the CPU has AVX512-BF16 (Precision.current), so this runs.
            _ = ck_sgemm_packed_bf16(m, n, k, a, lda, UnsafePointer<UInt32>(OpaquePointer(packed)), beta, c, ldc)
        } else {
            ck_sgemm_packed(CPU.isa, m, n, k, a, lda, packed, beta, c, ldc)
        }
    }
}
