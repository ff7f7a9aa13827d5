// Vectorised exp, sigmoid and tanh.
//
// exp: x = n ln2 + r with |r| <= ln2 / 2, exp(r) by a degree-6 polynomial
// (the Cephes expf coefficients, relative error about 1e-7), 2^n built in the
// exponent bits. tanh: for |x| < 0.625 the Cephes odd polynomial (no
// cancellation near zero), else 1 - 2 / (exp(2|x|) + 1) with the sign restored.
// The portable path uses libm and is the reference the vector paths are tested against.
#include "CKernels.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float sigmoid_scalar(float x) { return 1.0f / (1.0f + expf(-x)); }

#if defined(__x86_64__)
#include "vecmath.h"

#define VECTOR_LOOP(name, vecfn)                                             \
    __attribute__((target("avx2,fma")))                                     \
    static void name##_avx2(const float *x, float *y, long n) {             \
        long i = 0;                                                         \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, vecfn(_mm256_loadu_ps(x + i))); \
        if (i < n) {                                                        \
            float in[8] = {0}, out[8];                                      \
            for (long j = 0; j < n - i; j++) in[j] = x[i + j];              \
            _mm256_storeu_ps(out, vecfn(_mm256_loadu_ps(in)));              \
            for (long j = 0; j < n - i; j++) y[i + j] = out[j];             \
        }                                                                   \
    }
VECTOR_LOOP(vexp, exp8)
VECTOR_LOOP(vsigmoid, sigmoid8)
VECTOR_LOOP(vtanh, tanh8)
#undef VECTOR_LOOP
#define HAS_VECTOR(isa) ((isa) != CK_ISA_PORTABLE)
#else
#define HAS_VECTOR(isa) 0
#endif

void ck_vexp(ck_isa isa, const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (HAS_VECTOR(isa)) { vexp_avx2(x, y, n); return; }
#endif
    (void)isa;
    for (long i = 0; i < n; i++) y[i] = expf(x[i]);
}

void ck_vsigmoid(ck_isa isa, const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (HAS_VECTOR(isa)) { vsigmoid_avx2(x, y, n); return; }
#endif
    (void)isa;
    for (long i = 0; i < n; i++) y[i] = sigmoid_scalar(x[i]);
}

void ck_vtanh(ck_isa isa, const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (HAS_VECTOR(isa)) { vtanh_avx2(x, y, n); return; }
#endif
    (void)isa;
    for (long i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
