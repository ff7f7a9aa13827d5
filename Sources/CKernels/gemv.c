// Single-precision matrix-vector product for batch-1 inference (generation),
// where reading the weights is the whole cost: y = A x + beta y, A row-major [M, K].
#include "CKernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void gemv_portable(long M, long K, const float *A, long lda, const float *x, float beta, float *y) {
    for (long i = 0; i < M; i++) {
        const float *row = A + i * lda;
        float s = 0;
        for (long k = 0; k < K; k++) s += row[k] * x[k];
        y[i] = beta == 0 ? s : s + beta * y[i];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static inline float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

// Four rows at a time, 16 columns per step, so each x chunk is loaded once per four rows.
__attribute__((target("avx512f")))
static void gemv_avx512(long M, long K, const float *A, long lda, const float *x, float beta, float *y) {
    long i = 0;
    const long K16 = K & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (K - K16)) - 1);
    for (; i + 4 <= M; i += 4) {
        const float *r0 = A + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        long k = 0;
        for (; k < K16; k += 16) {
            __m512 xv = _mm512_loadu_ps(x + k);
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + k), xv, s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + k), xv, s1);
            s2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + k), xv, s2);
            s3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + k), xv, s3);
        }
        if (tail) {
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + k);
            s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r0 + k), xv, s0);
            s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r1 + k), xv, s1);
            s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r2 + k), xv, s2);
            s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r3 + k), xv, s3);
        }
        float v0 = hsum512(s0), v1 = hsum512(s1), v2 = hsum512(s2), v3 = hsum512(s3);
        if (beta == 0) { y[i] = v0; y[i + 1] = v1; y[i + 2] = v2; y[i + 3] = v3; }
        else { y[i] = v0 + beta * y[i]; y[i + 1] = v1 + beta * y[i + 1]; y[i + 2] = v2 + beta * y[i + 2]; y[i + 3] = v3 + beta * y[i + 3]; }
    }
    if (i < M) gemv_portable(M - i, K, A + i * lda, lda, x, beta, y + i);
}

__attribute__((target("avx2,fma")))
static void gemv_avx2(long M, long K, const float *A, long lda, const float *x, float beta, float *y) {
    long i = 0;
    const long K8 = K & ~7L;
    for (; i + 4 <= M; i += 4) {
        const float *r0 = A + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        for (long k = 0; k < K8; k += 8) {
            __m256 xv = _mm256_loadu_ps(x + k);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), xv, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k), xv, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k), xv, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k), xv, s3);
        }
        float out[4][8], v[4];
        _mm256_storeu_ps(out[0], s0); _mm256_storeu_ps(out[1], s1);
        _mm256_storeu_ps(out[2], s2); _mm256_storeu_ps(out[3], s3);
        for (int r = 0; r < 4; r++) {
            float s = 0;
            for (int j = 0; j < 8; j++) s += out[r][j];
            const float *row = A + (i + r) * lda;
            for (long k = K8; k < K; k++) s += row[k] * x[k];
            v[r] = s;
        }
        for (int r = 0; r < 4; r++) y[i + r] = beta == 0 ? v[r] : v[r] + beta * y[i + r];
    }
    if (i < M) gemv_portable(M - i, K, A + i * lda, lda, x, beta, y + i);
}
#endif

void ck_sgemv(ck_isa isa, long M, long K, const float *A, long lda, const float *x, float beta, float *y) {
#if defined(__x86_64__)
    if (isa == CK_ISA_AVX512) { gemv_avx512(M, K, A, lda, x, beta, y); return; }
    if (isa == CK_ISA_AVX2) { gemv_avx2(M, K, A, lda, x, beta, y); return; }
#endif
    gemv_portable(M, K, A, lda, x, beta, y);
}
