// The Adam / AdamW update over one parameter tensor (equations in Adam.swift):
//   g' = g + wd w            (L2 penalty, Adam)      or  w *= 1 - lr wd  (decoupled, AdamW)
//   m = b1 m + (1 - b1) g'
//   v = b2 v + (1 - b2) g'^2
//   w -= stepSize m / (sqrt(v) / c2Root + eps)
// One pass over the four arrays; the vector path uses IEEE sqrt and division,
// so it computes what the scalar path computes (up to fused multiply-adds).
#include "CKernels.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void adam_portable(long n, float *w, const float *g, float *m, float *v, const ck_adam_params *p) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        if (p->weightDecay != 0) {
            if (p->decoupled) w[i] *= 1 - p->learningRate * p->weightDecay; else gi += p->weightDecay * w[i];
        }
        m[i] = p->beta1 * m[i] + (1 - p->beta1) * gi;
        v[i] = p->beta2 * v[i] + (1 - p->beta2) * gi * gi;
        w[i] -= p->stepSize * m[i] / (sqrtf(v[i]) / p->c2Root + p->epsilon);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void adam_avx2(long n, float *w, const float *g, float *m, float *v, const ck_adam_params *p) {
    const __m256 b1 = _mm256_set1_ps(p->beta1), nb1 = _mm256_set1_ps(1 - p->beta1);
    const __m256 b2 = _mm256_set1_ps(p->beta2), nb2 = _mm256_set1_ps(1 - p->beta2);
    const __m256 step = _mm256_set1_ps(p->stepSize), c2 = _mm256_set1_ps(p->c2Root), eps = _mm256_set1_ps(p->epsilon);
    const __m256 wd = _mm256_set1_ps(p->weightDecay), shrink = _mm256_set1_ps(1 - p->learningRate * p->weightDecay);
    const int l2 = p->weightDecay != 0 && !p->decoupled, decay = p->weightDecay != 0 && p->decoupled;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wi = _mm256_loadu_ps(w + i), gi = _mm256_loadu_ps(g + i);
        if (l2) gi = _mm256_fmadd_ps(wd, wi, gi);
        if (decay) wi = _mm256_mul_ps(wi, shrink);
        __m256 mi = _mm256_fmadd_ps(b1, _mm256_loadu_ps(m + i), _mm256_mul_ps(nb1, gi));
        __m256 vi = _mm256_fmadd_ps(b2, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(nb2, gi), gi));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), c2), eps);
        wi = _mm256_sub_ps(wi, _mm256_div_ps(_mm256_mul_ps(step, mi), denom));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(w + i, wi);
    }
    adam_portable(n - i, w + i, g + i, m + i, v + i, p);
}
#endif

void ck_adam(ck_isa isa, long n, float *w, const float *g, float *m, float *v, const ck_adam_params *params) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { adam_avx2(n, w, g, m, v, params); return; }
#endif
    (void)isa;
    adam_portable(n, w, g, m, v, params);
}
