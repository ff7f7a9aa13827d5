// Eight-lane exp, sigmoid and tanh (AVX2 + FMA), shared by the activation
// loops (activations.c) and the fused cell steps (cells.c). See activations.c
// for the method and its accuracy. Internal to CKernels.
#ifndef CKERNELS_VECMATH_H
#define CKERNELS_VECMATH_H
#if defined(__x86_64__)
#include <immintrin.h>

#define EXP_HI 88.3762626647949f
#define EXP_LO -87.3365447504f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f
#define T0 -5.70498872745e-3f
#define T1 2.06390887954e-2f
#define T2 -5.37397155531e-2f
#define T3 1.33314422036e-1f
#define T4 -3.33332819422e-1f

__attribute__((target("avx2,fma")))
static inline __m256 exp8(__m256 x) {
    // max/min return their second operand when either is NaN: keep x second so NaN propagates.
    x = _mm256_min_ps(_mm256_set1_ps(EXP_HI), _mm256_max_ps(_mm256_set1_ps(EXP_LO), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    __m256 p = _mm256_set1_ps(P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P5));
    __m256 r2 = _mm256_mul_ps(r, r);
    __m256 y = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // n is in [-126, 127] after the clamp, so the biased exponent stays in range.
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

__attribute__((target("avx2,fma")))
static inline __m256 sigmoid8(__m256 x) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma")))
static inline __m256 tanh8(__m256 x) {
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(signMask, x);
    __m256 sign = _mm256_and_ps(signMask, x);
    // Large |x|: 1 - 2 / (exp(2|x|) + 1).
    __m256 e = exp8(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                               _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    big = _mm256_or_ps(big, sign);
    // Small |x|: x + x^3 P(x^2).
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(T0);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(T1));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(T2));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(T3));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(T4));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    __m256 useSmall = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm256_blendv_ps(big, small, useSmall);
}

#endif
#endif
