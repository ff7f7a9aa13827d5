// Packed single-precision GEMM in the usual three-level blocking:
//   for each NC-wide column block of op(B):
//     for each KC-deep slice of K: pack op(B) into NR-wide panels
//       for each MC-tall row block of op(A): pack alpha * op(A) into MR-tall panels
//         for each (MR x NR) tile of C: micro-kernel, C_tile += Ap_panel * Bp_panel
// One micro-kernel per instruction set, chosen by the caller (`ck_isa`).
// Threading is the caller's business: the Swift front door splits C into
// blocks and calls this once per block, each call on its own thread.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { KC = 256, MC_ROWS = 192, NC = 4096 };

typedef void (*micro_kernel)(long kc, const float *a, const float *b, float *c, long ldc);

typedef struct {
    int mr, nr;
    micro_kernel kernel;
} kernel_info;

// MARK: - Portable micro-kernel (4 x 16), plain C that compilers vectorise.

static void micro_portable(long kc, const float *a, const float *b, float *c, long ldc) {
    float acc[4][16] = {{0}};
    for (long k = 0; k < kc; k++) {
        for (int r = 0; r < 4; r++) {
            float ar = a[r];
            for (int j = 0; j < 16; j++) acc[r][j] += ar * b[j];
        }
        a += 4;
        b += 16;
    }
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 16; j++) c[r * ldc + j] += acc[r][j];
}

#if defined(__x86_64__)
// MARK: - AVX2 + FMA micro-kernel (6 x 16): 12 accumulators in ymm registers.

__attribute__((target("avx2,fma")))
static void micro_avx2(long kc, const float *a, const float *b, float *c, long ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (long k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 ar;
        ar = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(ar, b0, c00); c01 = _mm256_fmadd_ps(ar, b1, c01);
        ar = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(ar, b0, c10); c11 = _mm256_fmadd_ps(ar, b1, c11);
        ar = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(ar, b0, c20); c21 = _mm256_fmadd_ps(ar, b1, c21);
        ar = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(ar, b0, c30); c31 = _mm256_fmadd_ps(ar, b1, c31);
        ar = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(ar, b0, c40); c41 = _mm256_fmadd_ps(ar, b1, c41);
        ar = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(ar, b0, c50); c51 = _mm256_fmadd_ps(ar, b1, c51);
        a += 6;
        b += 16;
    }
#define ACC_ROW(r, x0, x1)                                                             \
    _mm256_storeu_ps(c + (r) * ldc, _mm256_add_ps(_mm256_loadu_ps(c + (r) * ldc), x0)); \
    _mm256_storeu_ps(c + (r) * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + (r) * ldc + 8), x1));
    ACC_ROW(0, c00, c01) ACC_ROW(1, c10, c11) ACC_ROW(2, c20, c21)
    ACC_ROW(3, c30, c31) ACC_ROW(4, c40, c41) ACC_ROW(5, c50, c51)
#undef ACC_ROW
}

// MARK: - AVX-512 micro-kernel (12 x 32): 24 accumulators in zmm registers.

__attribute__((target("avx512f")))
static void micro_avx512(long kc, const float *a, const float *b, float *c, long ldc) {
    __m512 acc0[12], acc1[12];
    for (int r = 0; r < 12; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) {
            __m512 ar = _mm512_set1_ps(a[r]);
            acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
        }
        a += 12;
        b += 32;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 12; r++) {
        float *row = c + r * ldc;
        _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc0[r]));
        _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), acc1[r]));
    }
}
// For products with few rows (a batch) and a pre-packed B: `R` rows of A
// read in place (row stride lda, broadcast from memory, no packing), one
// 32-wide panel of B, C (+)= A B. `R` is a compile-time constant after inlining.
__attribute__((target("avx512f"), always_inline))
static inline void direct_avx512(const int R, long kc, const float *a, long lda, const float *b,
                                 float *c, long ldc, int accumulate) {
    __m512 acc0[12], acc1[12];
    const float *row[12];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps();
        row[r] = a + r * lda;
    }
    for (long k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        // The panel streams from memory when W_hh is larger than the cache (1024 units:
        // 16 MB): fetch 32 steps of k ahead (+3% on big-lstm-1x1024).
        _mm_prefetch((const char *)(b + 1024), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 1040), _MM_HINT_T0);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            __m512 ar = _mm512_set1_ps(row[r][k]);
            acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
        }
        b += 32;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *out = c + r * ldc;
        if (accumulate) {
            acc0[r] = _mm512_add_ps(_mm512_loadu_ps(out), acc0[r]);
            acc1[r] = _mm512_add_ps(_mm512_loadu_ps(out + 16), acc1[r]);
        }
        _mm512_storeu_ps(out, acc0[r]);
        _mm512_storeu_ps(out + 16, acc1[r]);
    }
}

__attribute__((target("avx512f")))
static void direct_avx512_rows(int rows, long kc, const float *a, long lda, const float *b,
                               float *c, long ldc, int accumulate) {
    switch (rows) {
    case 1: direct_avx512(1, kc, a, lda, b, c, ldc, accumulate); break;
    case 2: direct_avx512(2, kc, a, lda, b, c, ldc, accumulate); break;
    case 3: direct_avx512(3, kc, a, lda, b, c, ldc, accumulate); break;
    case 4: direct_avx512(4, kc, a, lda, b, c, ldc, accumulate); break;
    case 5: direct_avx512(5, kc, a, lda, b, c, ldc, accumulate); break;
    case 6: direct_avx512(6, kc, a, lda, b, c, ldc, accumulate); break;
    case 7: direct_avx512(7, kc, a, lda, b, c, ldc, accumulate); break;
    case 8: direct_avx512(8, kc, a, lda, b, c, ldc, accumulate); break;
    case 9: direct_avx512(9, kc, a, lda, b, c, ldc, accumulate); break;
    case 10: direct_avx512(10, kc, a, lda, b, c, ldc, accumulate); break;
    case 11: direct_avx512(11, kc, a, lda, b, c, ldc, accumulate); break;
    default: direct_avx512(12, kc, a, lda, b, c, ldc, accumulate); break;
    }
}
#endif

static kernel_info kernel_for(ck_isa isa) {
#if defined(__x86_64__)
    if (isa == CK_ISA_AVX512) return (kernel_info){12, 32, micro_avx512};
    if (isa == CK_ISA_AVX2) return (kernel_info){6, 16, micro_avx2};
#endif
    (void)isa;
    return (kernel_info){4, 16, micro_portable};
}

// MARK: - Packing

// Ap holds ceil(mc / mr) panels; panel p is kc x mr, element (k, r) at k * mr + r,
// scaled by alpha, zero beyond the matrix edge.
static void pack_a(int mr, long mc, long kc, float alpha, const float *A, long lda, int transA,
                   long i0, long k0, float *Ap) {
    for (long p = 0; p < mc; p += mr) {
        long rows = mc - p < mr ? mc - p : mr;
        for (long k = 0; k < kc; k++) {
            float *dst = Ap + k * mr;
            if (transA) {
                const float *src = A + (k0 + k) * lda + i0 + p;
                for (long r = 0; r < rows; r++) dst[r] = alpha * src[r];
            } else {
                const float *src = A + (i0 + p) * lda + k0 + k;
                for (long r = 0; r < rows; r++) dst[r] = alpha * src[r * lda];
            }
            for (long r = rows; r < mr; r++) dst[r] = 0;
        }
        Ap += kc * mr;
    }
}

// Bp holds ceil(nc / nr) panels; panel q is kc x nr, element (k, j) at k * nr + j,
// zero beyond the matrix edge.
static void pack_b(int nr, long nc, long kc, const float *B, long ldb, int transB,
                   long k0, long j0, float *Bp) {
    for (long q = 0; q < nc; q += nr) {
        long cols = nc - q < nr ? nc - q : nr;
        for (long k = 0; k < kc; k++) {
            float *dst = Bp + k * nr;
            if (transB) {
                const float *src = B + (j0 + q) * ldb + k0 + k;
                for (long j = 0; j < cols; j++) dst[j] = src[j * ldb];
            } else {
                memcpy(dst, B + (k0 + k) * ldb + j0 + q, (size_t)cols * sizeof(float));
            }
            for (long j = cols; j < nr; j++) dst[j] = 0;
        }
        Bp += kc * nr;
    }
}

// Packing buffers, one pair per thread, grown on demand and kept for the
// thread's life (the callers' worker threads are long-lived).
static _Thread_local float *tl_pack_a, *tl_pack_b;
static _Thread_local size_t tl_cap_a, tl_cap_b;

static float *buffer(float **buf, size_t *cap, size_t count) {
    if (*cap < count) {
        free(*buf);
        size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
        *buf = aligned_alloc(64, bytes);
        *cap = *buf ? count : 0;
    }
    return *buf;
}

// C_tile += Ap_panel * Bp_panel for one rows x cols tile; a tile cut short by
// the matrix edge is computed whole into a scratch tile and the part inside added.
static void tile(kernel_info info, long kc, const float *ap, const float *bp, float *ctile, long ldc, long rows, long cols) {
    if (rows == info.mr && cols == info.nr) {
        info.kernel(kc, ap, bp, ctile, ldc);
        return;
    }
    float edge[12 * 32] __attribute__((aligned(64)));
    memset(edge, 0, sizeof edge);
    info.kernel(kc, ap, bp, edge, info.nr);
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) ctile[r * ldc + j] += edge[r * info.nr + j];
}

// MARK: - Small problems: a direct loop beats packing.

static void gemm_small(int transA, int transB, long M, long N, long K, float alpha,
                       const float *A, long lda, const float *B, long ldb, float *C, long ldc) {
    for (long i = 0; i < M; i++) {
        float *crow = C + i * ldc;
        for (long k = 0; k < K; k++) {
            float aik = alpha * (transA ? A[k * lda + i] : A[i * lda + k]);
            if (transB) {
                for (long j = 0; j < N; j++) crow[j] += aik * B[j * ldb + k];
            } else {
                const float *brow = B + k * ldb;
                for (long j = 0; j < N; j++) crow[j] += aik * brow[j];
            }
        }
    }
}

void ck_sgemm(ck_isa isa, int transA, int transB, long M, long N, long K, float alpha,
              const float *A, long lda, const float *B, long ldb, float beta, float *C, long ldc) {
    if (M <= 0 || N <= 0) return;
    if (beta == 0) {
        for (long i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
    } else if (beta != 1) {
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) C[i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0) return;
    if (M * N * K <= 8 * 8 * 64) {
        gemm_small(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }

    kernel_info info = kernel_for(isa);
    const int mr = info.mr, nr = info.nr;
    const long mcMax = (MC_ROWS / mr) * mr;
    const long ncMax = (NC / nr) * nr;
    float *Ap = buffer(&tl_pack_a, &tl_cap_a, (size_t)(mcMax * KC));
    float *Bp = buffer(&tl_pack_b, &tl_cap_b, (size_t)((N < ncMax ? (N + nr - 1) / nr * nr : ncMax) * KC));
    if (!Ap || !Bp) {  // out of memory: fall back to the direct loop
        gemm_small(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }

    for (long j0 = 0; j0 < N; j0 += ncMax) {
        long nc = N - j0 < ncMax ? N - j0 : ncMax;
        for (long k0 = 0; k0 < K; k0 += KC) {
            long kc = K - k0 < KC ? K - k0 : KC;
            pack_b(nr, nc, kc, B, ldb, transB, k0, j0, Bp);
            for (long i0 = 0; i0 < M; i0 += mcMax) {
                long mc = M - i0 < mcMax ? M - i0 : mcMax;
                pack_a(mr, mc, kc, alpha, A, lda, transA, i0, k0, Ap);
                for (long q = 0; q < nc; q += nr) {
                    long cols = nc - q < nr ? nc - q : nr;
                    const float *bp = Bp + (q / nr) * kc * nr;
                    for (long p = 0; p < mc; p += mr) {
                        long rows = mc - p < mr ? mc - p : mr;
                        const float *ap = Ap + (p / mr) * kc * mr;
                        float *ctile = C + (i0 + p) * ldc + j0 + q;
                        tile(info, kc, ap, bp, ctile, ldc, rows, cols);
                    }
                }
            }
        }
    }
}

// MARK: - Products with a pre-packed B (the recurrent weights, packed once per pass)

size_t ck_packed_b_count(ck_isa isa, long K, long N) {
    long nr = kernel_for(isa).nr;
    return (size_t)((N + nr - 1) / nr * nr) * (size_t)(K > 0 ? K : 0);
}

void ck_pack_b(ck_isa isa, int transB, long K, long N, const float *B, long ldb, float *Bp) {
    if (K <= 0 || N <= 0) return;
    pack_b(kernel_for(isa).nr, N, K, B, ldb, transB, 0, 0, Bp);
}

void ck_sgemm_packed(ck_isa isa, long M, long N, long K, const float *A, long lda, const float *Bp,
                     float beta, float *C, long ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {  // an empty product: C = beta * C
        if (beta == 0)
            for (long i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
        return;
    }
    kernel_info info = kernel_for(isa);
    const int mr = info.mr, nr = info.nr;
    float edge[12 * 32] __attribute__((aligned(64)));
#if defined(__x86_64__)
    if (isa == CK_ISA_AVX512) {
        for (long q = 0; q < N; q += nr) {
            long cols = N - q < nr ? N - q : nr;
            const float *bp = Bp + (q / nr) * K * nr;
            for (long p = 0; p < M; p += mr) {
                long rows = M - p < mr ? M - p : mr;
                float *ctile = C + p * ldc + q;
                if (cols == nr) {
                    direct_avx512_rows((int)rows, K, A + p * lda, lda, bp, ctile, ldc, beta != 0);
                } else {
                    direct_avx512_rows((int)rows, K, A + p * lda, lda, bp, edge, nr, 0);
                    for (long r = 0; r < rows; r++)
                        for (long j = 0; j < cols; j++)
                            ctile[r * ldc + j] = (beta != 0 ? ctile[r * ldc + j] : 0) + edge[r * nr + j];
                }
            }
        }
        return;
    }
#endif
    if (beta == 0) {
        for (long i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
    }
    // Other instruction sets: pack A whole (each panel K deep) and use the micro-kernel.
    const long panels = (M + mr - 1) / mr;
    float *Ap = buffer(&tl_pack_a, &tl_cap_a, (size_t)(panels * mr * K));
    if (!Ap) {  // out of memory: the direct loop over the packed panels
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) {
                const float *bcol = Bp + (j / nr) * K * nr + j % nr;
                float s = 0;
                for (long k = 0; k < K; k++) s += A[i * lda + k] * bcol[k * nr];
                C[i * ldc + j] += s;
            }
        return;
    }
    pack_a(mr, M, K, 1, A, lda, 0, 0, 0, Ap);
    for (long q = 0; q < N; q += nr) {
        long cols = N - q < nr ? N - q : nr;
        const float *bp = Bp + (q / nr) * K * nr;
        for (long p = 0; p < M; p += mr) {
            long rows = M - p < mr ? M - p : mr;
            const float *ap = Ap + (p / mr) * K * mr;
            float *ctile = C + p * ldc + q;
            tile(info, K, ap, bp, ctile, ldc, rows, cols);
        }
    }
}
