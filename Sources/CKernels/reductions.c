// Reductions over a vector: maximum, sum, sum of squares. Several vector
// accumulators break the dependency chain a plain loop has (one add waiting
// on the last); the order of additions is fixed by `n` alone, so results are
// deterministic.
#include "CKernels.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static float vmax_avx2(const float *x, long n) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    __m256 nan = _mm256_setzero_ps();   // lanes that have seen a NaN (max alone would drop it)
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        m0 = _mm256_max_ps(m0, a); m1 = _mm256_max_ps(m1, b);
        m2 = _mm256_max_ps(m2, c); m3 = _mm256_max_ps(m3, d);
        nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q)));
    }
    if (_mm256_movemask_ps(nan)) return NAN;
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    float m = -INFINITY;
    for (int k = 0; k < 8; k++) m = lanes[k] > m ? lanes[k] : m;
    for (; i < n; i++) {
        if (isnan(x[i])) return NAN;
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

__attribute__((target("avx2,fma")))
static float vsum_avx2(const float *x, long n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    float s = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += x[i];
    return s;
}

__attribute__((target("avx2,fma")))
static double sumsq_avx2(const float *x, long n) {
    double total = 0;
    long i = 0;
    // Float accumulators over blocks of 1,024 elements, each block added in double.
    while (i < n) {
        long end = n - i > 1024 ? i + 1024 : n;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (; i + 32 <= end; i += 32) {
            __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
            __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
            s0 = _mm256_fmadd_ps(a, a, s0); s1 = _mm256_fmadd_ps(b, b, s1);
            s2 = _mm256_fmadd_ps(c, c, s2); s3 = _mm256_fmadd_ps(d, d, s3);
        }
        float s = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
        for (; i < end; i++) s += x[i] * x[i];
        total += s;
    }
    return total;
}
#endif

float ck_vmax(ck_isa isa, const float *x, long n) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) return vmax_avx2(x, n);
#endif
    (void)isa;
    float m = -INFINITY;
    for (long i = 0; i < n; i++) {
        if (isnan(x[i])) return NAN;
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

float ck_vsum(ck_isa isa, const float *x, long n) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) return vsum_avx2(x, n);
#endif
    (void)isa;
    float s = 0;
    for (long i = 0; i < n; i++) s += x[i];
    return s;
}

double ck_sum_squares(ck_isa isa, const float *x, long n) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) return sumsq_avx2(x, n);
#endif
    (void)isa;
    double total = 0;
    for (long i = 0; i < n; i += 1024) {
        float s = 0;
        for (long j = i; j < n && j < i + 1024; j++) s += x[j] * x[j];
        total += s;
    }
    return total;
}
