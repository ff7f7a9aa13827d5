// Matrix products with bfloat16 operands and float accumulation, for CPUs with
// AVX512-BF16 (`vdpbf16ps`: each 32-bit lane adds a[2i] b[2i] + a[2i+1] b[2i+1]
// to a float). Inputs and outputs stay float: the operands are rounded to
// bfloat16 (to nearest, ties to even) while they are packed, so the caller's
// float weights are the master copy, as in mixed-precision training.
//
// The layout follows gemm.c, with K taken in pairs: a packed A panel holds, for
// each pair p, one 32-bit word per row (the row's elements 2p and 2p+1); a
// packed B panel holds, for each pair, one word per column. An odd K is padded
// with a zero.
#include "CKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

enum { BF_KC = 256, BF_MR = 12, BF_NR = 32, BF_MC = 192, BF_NC = 4096 };

int ck_has_bf16(void) {
#if defined(__x86_64__)
    if (ck_best_isa() != CK_ISA_AVX512) return 0;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 5) & 1;  // CPUID.(EAX=7,ECX=1):EAX[5] = AVX512_BF16
#else
    return 0;
#endif
}

uint16_t ck_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  // NaN stays NaN (quiet)
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float ck_float_from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint32_t pair(float even, float odd) {
    return (uint32_t)ck_bf16_from_float(even) | ((uint32_t)ck_bf16_from_float(odd) << 16);
}

// MARK: - Packing

// Packs `count` lines of X (rows of A, columns of B) starting at line `l0`,
// over K from k0 to k0 + kc, into panels `width` lines wide: panel element
// (pair p, line r) at p * width + r holds the line's elements 2p and 2p+1,
// scaled by `scale`, zero beyond the matrix edge. Element (line l, k) of X is
// X[k * ld + l] when `kMajor` (transposed A, plain B), else X[l * ld + k].
static void pack_pairs(int width, long count, long kc, float scale, const float *X, long ld, int kMajor,
                       long l0, long k0, uint32_t *out) {
    const long pairs = (kc + 1) / 2;
    for (long q = 0; q < count; q += width) {
        long lines = count - q < width ? count - q : width;
        for (long p = 0; p < pairs; p++) {
            uint32_t *dst = out + p * width;
            long k = k0 + 2 * p;
            int hasOdd = 2 * p + 1 < kc;
            for (long r = 0; r < lines; r++) {
                long l = l0 + q + r;
                float even = kMajor ? X[k * ld + l] : X[l * ld + k];
                float odd = hasOdd ? (kMajor ? X[(k + 1) * ld + l] : X[l * ld + k + 1]) : 0;
                dst[r] = pair(scale * even, scale * odd);
            }
            for (long r = lines; r < width; r++) dst[r] = 0;
        }
        out += pairs * width;
    }
}

// Ap: ceil(mc / MR) panels of op(A)'s rows, scaled by alpha.
static void pack_a_bf16(long mc, long kc, float alpha, const float *A, long lda, int transA, long i0, long k0, uint32_t *Ap) {
    pack_pairs(BF_MR, mc, kc, alpha, A, lda, transA, i0, k0, Ap);
}

// Bp: ceil(nc / NR) panels of op(B)'s columns.
static void pack_b_bf16(long nc, long kc, const float *B, long ldb, int transB, long k0, long j0, uint32_t *Bp) {
    pack_pairs(BF_NR, nc, kc, 1, B, ldb, !transB, j0, k0, Bp);
}

#if defined(__x86_64__)
// MARK: - Micro-kernel (12 x 32): C_tile (+)= Ap_panel Bp_panel over `pairs` pairs of K.

__attribute__((target("avx512f,avx512bf16")))
static void micro_bf16(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc, int rows, int accumulate) {
    __m512 acc0[BF_MR], acc1[BF_MR];
#pragma clang loop unroll(full)
    for (int r = 0; r < BF_MR; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)b), b1 = (__m512bh)_mm512_load_si512((const void *)(b + 16));
#pragma clang loop unroll(full)
        for (int r = 0; r < BF_MR; r++) {
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[r]);
            acc0[r] = _mm512_dpbf16_ps(acc0[r], ar, b0);
            acc1[r] = _mm512_dpbf16_ps(acc1[r], ar, b1);
        }
        a += BF_MR;
        b += BF_NR;
    }
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        if (accumulate) {
            acc0[r] = _mm512_add_ps(_mm512_loadu_ps(row), acc0[r]);
            acc1[r] = _mm512_add_ps(_mm512_loadu_ps(row + 16), acc1[r]);
        }
        _mm512_storeu_ps(row, acc0[r]);
        _mm512_storeu_ps(row + 16, acc1[r]);
    }
}

// The same with `R` rows of A converted to pairs by the caller (`apairs`, row
// stride `stride` words) and a pre-packed B panel read with a prefetch ahead.
// `R` is a compile-time constant after inlining, so the accumulators stay in registers.
__attribute__((target("avx512f,avx512bf16"), always_inline))
static inline void direct_bf16(const int R, long pairs, const uint32_t *apairs, long stride, const uint32_t *b,
                               float *c, long ldc, int accumulate) {
    __m512 acc0[BF_MR], acc1[BF_MR];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)b), b1 = (__m512bh)_mm512_load_si512((const void *)(b + 16));
        _mm_prefetch((const char *)(b + 1024), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 1040), _MM_HINT_T0);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)apairs[r * stride + p]);
            acc0[r] = _mm512_dpbf16_ps(acc0[r], ar, b0);
            acc1[r] = _mm512_dpbf16_ps(acc1[r], ar, b1);
        }
        b += BF_NR;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *row = c + r * ldc;
        if (accumulate) {
            acc0[r] = _mm512_add_ps(_mm512_loadu_ps(row), acc0[r]);
            acc1[r] = _mm512_add_ps(_mm512_loadu_ps(row + 16), acc1[r]);
        }
        _mm512_storeu_ps(row, acc0[r]);
        _mm512_storeu_ps(row + 16, acc1[r]);
    }
}

__attribute__((target("avx512f,avx512bf16")))
static void direct_bf16_rows(int rows, long pairs, const uint32_t *apairs, long stride, const uint32_t *b,
                             float *c, long ldc, int accumulate) {
    switch (rows) {
    case 1: direct_bf16(1, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 2: direct_bf16(2, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 3: direct_bf16(3, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 4: direct_bf16(4, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 5: direct_bf16(5, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 6: direct_bf16(6, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 7: direct_bf16(7, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 8: direct_bf16(8, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 9: direct_bf16(9, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 10: direct_bf16(10, pairs, apairs, stride, b, c, ldc, accumulate); break;
    case 11: direct_bf16(11, pairs, apairs, stride, b, c, ldc, accumulate); break;
    default: direct_bf16(12, pairs, apairs, stride, b, c, ldc, accumulate); break;
    }
}
#endif

// Adds a computed rows x BF_NR scratch tile into C (cols of it inside the matrix).
static void add_edge(const float *edge, float *c, long ldc, long rows, long cols) {
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) c[r * ldc + j] += edge[r * BF_NR + j];
}

static _Thread_local uint32_t *tl_bf_a, *tl_bf_b;
static _Thread_local size_t tl_bf_cap_a, tl_bf_cap_b;

static uint32_t *words(uint32_t **buf, size_t *cap, size_t count) {
    if (*cap < count) {
        free(*buf);
        size_t bytes = (count * sizeof(uint32_t) + 63) & ~(size_t)63;
        *buf = aligned_alloc(64, bytes);
        *cap = *buf ? count : 0;
    }
    return *buf;
}

int ck_sgemm_bf16(int transA, int transB, long M, long N, long K, float alpha,
                  const float *A, long lda, const float *B, long ldb, float beta, float *C, long ldc) {
#if defined(__x86_64__)
    if (!ck_has_bf16()) return 0;
    if (M <= 0 || N <= 0) return 1;
    const long mcMax = BF_MC, ncMax = BF_NC, kpMax = BF_KC / 2;
    uint32_t *Ap = words(&tl_bf_a, &tl_bf_cap_a, (size_t)(mcMax * kpMax));
    uint32_t *Bp = words(&tl_bf_b, &tl_bf_cap_b, (size_t)((N < ncMax ? (N + BF_NR - 1) / BF_NR * BF_NR : ncMax) * kpMax));
    if (!Ap || !Bp) return 0;  // out of memory, before C is touched: the caller uses the float path
    if (beta == 0) {
        for (long i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
    } else if (beta != 1) {
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) C[i * ldc + j] *= beta;
    }
    if (K <= 0 || alpha == 0) return 1;
    float edge[BF_MR * BF_NR] __attribute__((aligned(64)));
    for (long j0 = 0; j0 < N; j0 += ncMax) {
        long nc = N - j0 < ncMax ? N - j0 : ncMax;
        for (long k0 = 0; k0 < K; k0 += BF_KC) {
            long kc = K - k0 < BF_KC ? K - k0 : BF_KC, pairs = (kc + 1) / 2;
            pack_b_bf16(nc, kc, B, ldb, transB, k0, j0, Bp);
            for (long i0 = 0; i0 < M; i0 += mcMax) {
                long mc = M - i0 < mcMax ? M - i0 : mcMax;
                pack_a_bf16(mc, kc, alpha, A, lda, transA, i0, k0, Ap);
                for (long q = 0; q < nc; q += BF_NR) {
                    long cols = nc - q < BF_NR ? nc - q : BF_NR;
                    const uint32_t *bp = Bp + (q / BF_NR) * pairs * BF_NR;
                    for (long p = 0; p < mc; p += BF_MR) {
                        long rows = mc - p < BF_MR ? mc - p : BF_MR;
                        const uint32_t *ap = Ap + (p / BF_MR) * pairs * BF_MR;
                        float *ctile = C + (i0 + p) * ldc + j0 + q;
                        if (cols == BF_NR) {
                            micro_bf16(pairs, ap, bp, ctile, ldc, (int)rows, 1);
                        } else {
                            micro_bf16(pairs, ap, bp, edge, BF_NR, (int)rows, 0);
                            add_edge(edge, ctile, ldc, rows, cols);
                        }
                    }
                }
            }
        }
    }
    return 1;
#else
    (void)transA; (void)transB; (void)M; (void)N; (void)K; (void)alpha; (void)A; (void)lda; (void)B; (void)ldb;
    (void)beta; (void)C; (void)ldc;
    return 0;
#endif
}

// MARK: - Products with a pre-packed B

size_t ck_packed_b_count_bf16(long K, long N) {
    if (K <= 0 || N <= 0) return 0;
    return (size_t)((K + 1) / 2) * (size_t)((N + BF_NR - 1) / BF_NR * BF_NR);
}

void ck_pack_b_bf16(int transB, long K, long N, const float *B, long ldb, uint32_t *Bp) {
    if (K <= 0 || N <= 0) return;
    pack_b_bf16(N, K, B, ldb, transB, 0, 0, Bp);
}

int ck_sgemm_packed_bf16(long M, long N, long K, const float *A, long lda, const uint32_t *Bp, float beta,
                         float *C, long ldc) {
#if defined(__x86_64__)
    if (!ck_has_bf16()) return 0;
    if (M <= 0 || N <= 0) return 1;
    if (K <= 0) {
        if (beta == 0)
            for (long i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
        return 1;
    }
    const long pairs = (K + 1) / 2;
    // The rows of A as pairs, once: a batch of states is small (rows x K).
    uint32_t *ap = words(&tl_bf_a, &tl_bf_cap_a, (size_t)(BF_MR * pairs));
    if (!ap) {  // out of memory: the same products, one element at a time
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) {
                const uint32_t *bcol = Bp + (j / BF_NR) * pairs * BF_NR + j % BF_NR;
                float s = 0;
                for (long p = 0; p < pairs; p++) {
                    float a0 = ck_float_from_bf16(ck_bf16_from_float(A[i * lda + 2 * p]));
                    float a1 = 2 * p + 1 < K ? ck_float_from_bf16(ck_bf16_from_float(A[i * lda + 2 * p + 1])) : 0;
                    s += a0 * ck_float_from_bf16((uint16_t)(bcol[p * BF_NR] & 0xffffu))
                       + a1 * ck_float_from_bf16((uint16_t)(bcol[p * BF_NR] >> 16));
                }
                C[i * ldc + j] = (beta != 0 ? C[i * ldc + j] : 0) + s;
            }
        return 1;
    }
    float edge[BF_MR * BF_NR] __attribute__((aligned(64)));
    for (long p0 = 0; p0 < M; p0 += BF_MR) {
        long rows = M - p0 < BF_MR ? M - p0 : BF_MR;
        for (long r = 0; r < rows; r++) {
            const float *src = A + (p0 + r) * lda;
            for (long p = 0; p < pairs; p++) ap[r * pairs + p] = pair(src[2 * p], 2 * p + 1 < K ? src[2 * p + 1] : 0);
        }
        for (long q = 0; q < N; q += BF_NR) {
            long cols = N - q < BF_NR ? N - q : BF_NR;
            const uint32_t *bp = Bp + (q / BF_NR) * pairs * BF_NR;
            float *ctile = C + p0 * ldc + q;
            if (cols == BF_NR) {
                direct_bf16_rows((int)rows, pairs, ap, pairs, bp, ctile, ldc, beta != 0);
            } else {
                direct_bf16_rows((int)rows, pairs, ap, pairs, bp, edge, BF_NR, 0);
                for (long r = 0; r < rows; r++)
                    for (long j = 0; j < cols; j++)
                        ctile[r * ldc + j] = (beta != 0 ? ctile[r * ldc + j] : 0) + edge[r * BF_NR + j];
            }
        }
    }
    return 1;
#else
    (void)M; (void)N; (void)K; (void)A; (void)lda; (void)Bp; (void)beta; (void)C; (void)ldc;
    return 0;
#endif
}

// MARK: - Matrix-vector products with bfloat16 weights (batch-1 generation)

long ck_bf16_row_stride(long K) { return K <= 0 ? 32 : (K + 31) / 32 * 32; }

void ck_bf16_matrix(long M, long K, const float *A, long lda, uint16_t *out) {
    const long stride = ck_bf16_row_stride(K);
    for (long i = 0; i < M; i++) {
        for (long k = 0; k < K; k++) out[i * stride + k] = ck_bf16_from_float(A[i * lda + k]);
        for (long k = K; k < stride; k++) out[i * stride + k] = 0;
    }
}

int ck_sgemv_bf16_rows(long M, long stride, const uint16_t *A, const uint16_t *xb, float beta, float *y);

static _Thread_local uint16_t *tl_bf_x;
static _Thread_local size_t tl_bf_cap_x;

int ck_sgemv_bf16(long M, long K, const uint16_t *A, const float *x, float beta, float *y) {
#if defined(__x86_64__)
    if (!ck_has_bf16()) return 0;
    const long stride = ck_bf16_row_stride(K);
    if (tl_bf_cap_x < (size_t)stride) {
        free(tl_bf_x);
        tl_bf_x = aligned_alloc(64, (size_t)stride * sizeof(uint16_t));
        tl_bf_cap_x = tl_bf_x ? (size_t)stride : 0;
        if (!tl_bf_x) return 0;
    }
    uint16_t *xb = tl_bf_x;
    for (long k = 0; k < K; k++) xb[k] = ck_bf16_from_float(x[k]);
    for (long k = K; k < stride; k++) xb[k] = 0;
    return ck_sgemv_bf16_rows(M, stride, A, xb, beta, y);
#else
    (void)M; (void)K; (void)A; (void)x; (void)beta; (void)y;
    return 0;
#endif
}

#if defined(__x86_64__)
// Four rows at a time, 32 bf16 columns per step, so each x chunk is loaded once per four rows.
__attribute__((target("avx512f,avx512bf16")))
static void gemv_rows_bf16(long M, long stride, const uint16_t *A, const uint16_t *xb, float beta, float *y) {
    long i = 0;
    for (; i < M; i += 4) {
        const long rows = M - i < 4 ? M - i : 4;
        const uint16_t *r[4];
        for (int q = 0; q < 4; q++) r[q] = A + (i + (q < rows ? q : 0)) * stride;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        for (long k = 0; k < stride; k += 32) {
            __m512bh xv = (__m512bh)_mm512_load_si512((const void *)(xb + k));
            s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512((const void *)(r[0] + k)), xv);
            s1 = _mm512_dpbf16_ps(s1, (__m512bh)_mm512_loadu_si512((const void *)(r[1] + k)), xv);
            s2 = _mm512_dpbf16_ps(s2, (__m512bh)_mm512_loadu_si512((const void *)(r[2] + k)), xv);
            s3 = _mm512_dpbf16_ps(s3, (__m512bh)_mm512_loadu_si512((const void *)(r[3] + k)), xv);
        }
        float v[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2), _mm512_reduce_add_ps(s3)};
        for (long q = 0; q < rows; q++) y[i + q] = beta == 0 ? v[q] : v[q] + beta * y[i + q];
    }
}
#endif

int ck_sgemv_bf16_rows(long M, long stride, const uint16_t *A, const uint16_t *xb, float beta, float *y) {
#if defined(__x86_64__)
    if (!ck_has_bf16()) return 0;
    gemv_rows_bf16(M, stride, A, xb, beta, y);
    return 1;
#else
    (void)M; (void)stride; (void)A; (void)xb; (void)beta; (void)y;
    return 0;
#endif
}
