// Fused pointwise steps of the Elman, LSTM and GRU cells for one batch row's units
// `0..<w`: the gate pre-activations are read, activated and the state updated
// in one pass over memory, eight lanes at a time. The equations are in
// RNNCell.swift, LSTMCell.swift and GRUCell.swift; the portable path spells them out one
// element at a time. A trailing partial group of lanes is computed in a
// zero-padded register like the rest, so a unit's result does not depend on
// where the caller's range starts or ends.
#include "CKernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float sig(float x) { return 1.0f / (1.0f + expf(-x)); }

// MARK: - Portable reference

static void lstm_forward_portable(long w, float *a, long gs, const float *hp, const float *cp, float *c, float *h, float *y) {
    for (long j = 0; j < w; j++) {
        float i = sig(a[j] + hp[j]);
        float f = sig(a[gs + j] + hp[w + j]);
        float g = tanhf(a[2 * gs + j] + hp[2 * w + j]);
        float o = sig(a[3 * gs + j] + hp[3 * w + j]);
        a[j] = i; a[gs + j] = f; a[2 * gs + j] = g; a[3 * gs + j] = o;
        c[j] = f * cp[j] + i * g;
        h[j] = o * tanhf(c[j]);
        y[j] = h[j];
    }
}

static void lstm_backward_portable(long w, const float *a, long gs, const float *cp, const float *c, const float *dy,
                                   float *dh, float *dc, float *da) {
    for (long j = 0; j < w; j++) {
        float i = a[j], f = a[gs + j], g = a[2 * gs + j], o = a[3 * gs + j];
        float tc = tanhf(c[j]);
        float dhj = dh[j] + dy[j];
        float dcj = dc[j] + dhj * o * (1 - tc * tc);
        da[j] = dcj * g * i * (1 - i);
        da[gs + j] = dcj * cp[j] * f * (1 - f);
        da[2 * gs + j] = dcj * i * (1 - g * g);
        da[3 * gs + j] = dhj * tc * o * (1 - o);
        dc[j] = dcj * f;
        dh[j] = 0;
    }
}

static void gru_forward_portable(long w, float *a, long gs, const float *hp, const float *bhn, const float *hPrev,
                                 float *hn, float *h, float *y) {
    for (long j = 0; j < w; j++) {
        float r = sig(a[j] + hp[j]);
        float z = sig(a[gs + j] + hp[w + j]);
        hn[j] = hp[2 * w + j] + bhn[j];
        float n = tanhf(a[2 * gs + j] + r * hn[j]);
        a[j] = r; a[gs + j] = z; a[2 * gs + j] = n;
        h[j] = (1 - z) * n + z * hPrev[j];
        y[j] = h[j];
    }
}

static void gru_backward_portable(long w, const float *a, long gs, const float *hPrev, const float *hn, const float *dy,
                                  float *dh, float *dx, float *dhp) {
    for (long j = 0; j < w; j++) {
        float r = a[j], z = a[gs + j], n = a[2 * gs + j];
        float dhj = dh[j] + dy[j];
        float dnPre = dhj * (1 - z) * (1 - n * n);
        float drPre = dnPre * hn[j] * r * (1 - r);
        float dzPre = dhj * (hPrev[j] - n) * z * (1 - z);
        dx[j] = drPre; dhp[j] = drPre;
        dx[gs + j] = dzPre; dhp[gs + j] = dzPre;
        dx[2 * gs + j] = dnPre; dhp[2 * gs + j] = dnPre * r;
        dh[j] = dhj * z;
    }
}

static void rnn_forward_portable(long w, int relu, float *a, const float *hp, float *h, float *y) {
    for (long j = 0; j < w; j++) {
        float pre = a[j] + hp[j];
        a[j] = relu ? (pre > 0 ? pre : (pre != pre ? pre : 0)) : tanhf(pre);
        h[j] = a[j];
        y[j] = a[j];
    }
}

static void rnn_backward_portable(long w, int relu, const float *hOut, const float *dy, float *dh, float *da) {
    for (long j = 0; j < w; j++) {
        float g = dh[j] + dy[j];
        da[j] = relu ? (hOut[j] > 0 ? g : 0) : g * (1 - hOut[j] * hOut[j]);
        dh[j] = 0;
    }
}

#if defined(__x86_64__)
// MARK: - AVX2 + FMA, eight lanes
// (exp, sigmoid and tanh from vecmath.h, as activations.c uses them.)

#include "vecmath.h"

#define L8(p) _mm256_loadu_ps(p)
#define S8(p, v) _mm256_storeu_ps(p, v)
#define ONE _mm256_set1_ps(1.0f)

// Each kernel runs its 8-lane body over full groups, then once more over a
// zero-padded copy of the tail (inputs copied in, outputs copied back).
// `GATHER`/`SCATTER` list the (buffer, stride-in-gate-blocks) pairs per kernel.

__attribute__((target("avx2,fma")))
static void lstm_forward8(float *a, long gs, const float *hp, long hs, const float *cp, float *c, float *h, float *y) {
    __m256 i = sigmoid8(_mm256_add_ps(L8(a), L8(hp)));
    __m256 f = sigmoid8(_mm256_add_ps(L8(a + gs), L8(hp + hs)));
    __m256 g = tanh8(_mm256_add_ps(L8(a + 2 * gs), L8(hp + 2 * hs)));
    __m256 o = sigmoid8(_mm256_add_ps(L8(a + 3 * gs), L8(hp + 3 * hs)));
    S8(a, i); S8(a + gs, f); S8(a + 2 * gs, g); S8(a + 3 * gs, o);
    __m256 cv = _mm256_fmadd_ps(f, L8(cp), _mm256_mul_ps(i, g));
    S8(c, cv);
    __m256 hv = _mm256_mul_ps(o, tanh8(cv));
    S8(h, hv);
    S8(y, hv);
}

__attribute__((target("avx2,fma")))
static void lstm_forward_avx2(long w, float *a, long gs, const float *hp, const float *cp, float *c, float *h, float *y) {
    long j = 0;
    for (; j + 8 <= w; j += 8) lstm_forward8(a + j, gs, hp + j, w, cp + j, c + j, h + j, y + j);
    long rest = w - j;
    if (rest == 0) return;
    float ta[32] = {0}, thp[32] = {0}, tcp[8] = {0}, tc[8], th[8], ty[8];
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 4; q++) { ta[q * 8 + k] = a[q * gs + j + k]; thp[q * 8 + k] = hp[q * w + j + k]; }
        tcp[k] = cp[j + k];
    }
    lstm_forward8(ta, 8, thp, 8, tcp, tc, th, ty);
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 4; q++) a[q * gs + j + k] = ta[q * 8 + k];
        c[j + k] = tc[k]; h[j + k] = th[k]; y[j + k] = ty[k];
    }
}

__attribute__((target("avx2,fma")))
static void lstm_backward8(const float *a, long gs, const float *cp, const float *c, const float *dy,
                           float *dh, float *dc, float *da) {
    __m256 i = L8(a), f = L8(a + gs), g = L8(a + 2 * gs), o = L8(a + 3 * gs);
    __m256 tc = tanh8(L8(c));
    __m256 dhj = _mm256_add_ps(L8(dh), L8(dy));
    __m256 dcj = _mm256_fmadd_ps(_mm256_mul_ps(dhj, o), _mm256_fnmadd_ps(tc, tc, ONE), L8(dc));
    S8(da, _mm256_mul_ps(_mm256_mul_ps(dcj, g), _mm256_mul_ps(i, _mm256_sub_ps(ONE, i))));
    S8(da + gs, _mm256_mul_ps(_mm256_mul_ps(dcj, L8(cp)), _mm256_mul_ps(f, _mm256_sub_ps(ONE, f))));
    S8(da + 2 * gs, _mm256_mul_ps(_mm256_mul_ps(dcj, i), _mm256_fnmadd_ps(g, g, ONE)));
    S8(da + 3 * gs, _mm256_mul_ps(_mm256_mul_ps(dhj, tc), _mm256_mul_ps(o, _mm256_sub_ps(ONE, o))));
    S8(dc, _mm256_mul_ps(dcj, f));
    S8(dh, _mm256_setzero_ps());
}

__attribute__((target("avx2,fma")))
static void lstm_backward_avx2(long w, const float *a, long gs, const float *cp, const float *c, const float *dy,
                               float *dh, float *dc, float *da) {
    long j = 0;
    for (; j + 8 <= w; j += 8) lstm_backward8(a + j, gs, cp + j, c + j, dy + j, dh + j, dc + j, da + j);
    long rest = w - j;
    if (rest == 0) return;
    float ta[32] = {0}, tcp[8] = {0}, tc[8] = {0}, tdy[8] = {0}, tdh[8] = {0}, tdc[8] = {0}, tda[32];
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 4; q++) ta[q * 8 + k] = a[q * gs + j + k];
        tcp[k] = cp[j + k]; tc[k] = c[j + k]; tdy[k] = dy[j + k]; tdh[k] = dh[j + k]; tdc[k] = dc[j + k];
    }
    lstm_backward8(ta, 8, tcp, tc, tdy, tdh, tdc, tda);
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 4; q++) da[q * gs + j + k] = tda[q * 8 + k];
        dh[j + k] = tdh[k]; dc[j + k] = tdc[k];
    }
}

__attribute__((target("avx2,fma")))
static void gru_forward8(float *a, long gs, const float *hp, long hs, const float *bhn, const float *hPrev,
                         float *hn, float *h, float *y) {
    __m256 r = sigmoid8(_mm256_add_ps(L8(a), L8(hp)));
    __m256 z = sigmoid8(_mm256_add_ps(L8(a + gs), L8(hp + hs)));
    __m256 hnv = _mm256_add_ps(L8(hp + 2 * hs), L8(bhn));
    S8(hn, hnv);
    __m256 n = tanh8(_mm256_fmadd_ps(r, hnv, L8(a + 2 * gs)));
    S8(a, r); S8(a + gs, z); S8(a + 2 * gs, n);
    // (1 - z) n + z h = n + z (h - n)
    __m256 hv = _mm256_fmadd_ps(z, _mm256_sub_ps(L8(hPrev), n), n);
    S8(h, hv);
    S8(y, hv);
}

__attribute__((target("avx2,fma")))
static void gru_forward_avx2(long w, float *a, long gs, const float *hp, const float *bhn, const float *hPrev,
                             float *hn, float *h, float *y) {
    long j = 0;
    for (; j + 8 <= w; j += 8) gru_forward8(a + j, gs, hp + j, w, bhn + j, hPrev + j, hn + j, h + j, y + j);
    long rest = w - j;
    if (rest == 0) return;
    float ta[24] = {0}, thp[24] = {0}, tb[8] = {0}, thPrev[8] = {0}, thn[8], th[8], ty[8];
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 3; q++) { ta[q * 8 + k] = a[q * gs + j + k]; thp[q * 8 + k] = hp[q * w + j + k]; }
        tb[k] = bhn[j + k]; thPrev[k] = hPrev[j + k];
    }
    gru_forward8(ta, 8, thp, 8, tb, thPrev, thn, th, ty);
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 3; q++) a[q * gs + j + k] = ta[q * 8 + k];
        hn[j + k] = thn[k]; h[j + k] = th[k]; y[j + k] = ty[k];
    }
}

__attribute__((target("avx2,fma")))
static void gru_backward8(const float *a, long gs, const float *hPrev, const float *hn, const float *dy,
                          float *dh, float *dx, float *dhp) {
    __m256 r = L8(a), z = L8(a + gs), n = L8(a + 2 * gs);
    __m256 dhj = _mm256_add_ps(L8(dh), L8(dy));
    __m256 dnPre = _mm256_mul_ps(_mm256_mul_ps(dhj, _mm256_sub_ps(ONE, z)), _mm256_fnmadd_ps(n, n, ONE));
    __m256 drPre = _mm256_mul_ps(_mm256_mul_ps(dnPre, L8(hn)), _mm256_mul_ps(r, _mm256_sub_ps(ONE, r)));
    __m256 dzPre = _mm256_mul_ps(_mm256_mul_ps(dhj, _mm256_sub_ps(L8(hPrev), n)), _mm256_mul_ps(z, _mm256_sub_ps(ONE, z)));
    S8(dx, drPre); S8(dhp, drPre);
    S8(dx + gs, dzPre); S8(dhp + gs, dzPre);
    S8(dx + 2 * gs, dnPre); S8(dhp + 2 * gs, _mm256_mul_ps(dnPre, r));
    S8(dh, _mm256_mul_ps(dhj, z));
}

__attribute__((target("avx2,fma")))
static void gru_backward_avx2(long w, const float *a, long gs, const float *hPrev, const float *hn, const float *dy,
                              float *dh, float *dx, float *dhp) {
    long j = 0;
    for (; j + 8 <= w; j += 8) gru_backward8(a + j, gs, hPrev + j, hn + j, dy + j, dh + j, dx + j, dhp + j);
    long rest = w - j;
    if (rest == 0) return;
    float ta[24] = {0}, thPrev[8] = {0}, thn[8] = {0}, tdy[8] = {0}, tdh[8] = {0}, tdx[24], tdhp[24];
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 3; q++) ta[q * 8 + k] = a[q * gs + j + k];
        thPrev[k] = hPrev[j + k]; thn[k] = hn[j + k]; tdy[k] = dy[j + k]; tdh[k] = dh[j + k];
    }
    gru_backward8(ta, 8, thPrev, thn, tdy, tdh, tdx, tdhp);
    for (long k = 0; k < rest; k++) {
        for (int q = 0; q < 3; q++) { dx[q * gs + j + k] = tdx[q * 8 + k]; dhp[q * gs + j + k] = tdhp[q * 8 + k]; }
        dh[j + k] = tdh[k];
    }
}
__attribute__((target("avx2,fma")))
static void rnn_forward_avx2(long w, int relu, float *a, const float *hp, float *h, float *y) {
    long j = 0;
    for (; j + 8 <= w; j += 8) {
        __m256 pre = _mm256_add_ps(L8(a + j), L8(hp + j));
        // max(pre, 0) with pre second would drop NaN; max(0, pre) returns pre when it is NaN.
        __m256 v = relu ? _mm256_max_ps(_mm256_setzero_ps(), pre) : tanh8(pre);
        S8(a + j, v); S8(h + j, v); S8(y + j, v);
    }
    rnn_forward_portable(w - j, relu, a + j, hp + j, h + j, y + j);
}

__attribute__((target("avx2,fma")))
static void rnn_backward_avx2(long w, int relu, const float *hOut, const float *dy, float *dh, float *da) {
    long j = 0;
    for (; j + 8 <= w; j += 8) {
        __m256 g = _mm256_add_ps(L8(dh + j), L8(dy + j)), hv = L8(hOut + j);
        __m256 d = relu ? _mm256_and_ps(g, _mm256_cmp_ps(hv, _mm256_setzero_ps(), _CMP_GT_OQ))
                        : _mm256_mul_ps(g, _mm256_fnmadd_ps(hv, hv, ONE));
        S8(da + j, d);
        S8(dh + j, _mm256_setzero_ps());
    }
    rnn_backward_portable(w - j, relu, hOut + j, dy + j, dh + j, da + j);
}
#undef L8
#undef S8
#undef ONE
#endif

// Adds the bias (gate blocks `gs` apart, like `a`) to a row's pre-activations
// just before the kernel reads them, while they are in cache.
static void add_bias(long w, int gates, float *restrict a, long gs, const float *restrict bias) {
    if (!bias) return;
    for (int q = 0; q < gates; q++)
        for (long j = 0; j < w; j++) a[q * gs + j] += bias[q * gs + j];
}

void ck_lstm_forward(ck_isa isa, long w, float *a, long gs, const float *bias, const float *hp, const float *cp,
                     float *c, float *h, float *y) {
    add_bias(w, 4, a, gs, bias);
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { lstm_forward_avx2(w, a, gs, hp, cp, c, h, y); return; }
#endif
    (void)isa;
    lstm_forward_portable(w, a, gs, hp, cp, c, h, y);
}

void ck_lstm_backward(ck_isa isa, long w, const float *a, long gs, const float *cp, const float *c, const float *dy,
                      float *dh, float *dc, float *da) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { lstm_backward_avx2(w, a, gs, cp, c, dy, dh, dc, da); return; }
#endif
    (void)isa;
    lstm_backward_portable(w, a, gs, cp, c, dy, dh, dc, da);
}

void ck_gru_forward(ck_isa isa, long w, float *a, long gs, const float *bias, const float *hp, const float *bhn,
                    const float *hPrev, float *hn, float *h, float *y) {
    add_bias(w, 3, a, gs, bias);
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { gru_forward_avx2(w, a, gs, hp, bhn, hPrev, hn, h, y); return; }
#endif
    (void)isa;
    gru_forward_portable(w, a, gs, hp, bhn, hPrev, hn, h, y);
}

void ck_gru_backward(ck_isa isa, long w, const float *a, long gs, const float *hPrev, const float *hn, const float *dy,
                     float *dh, float *dx, float *dhp) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { gru_backward_avx2(w, a, gs, hPrev, hn, dy, dh, dx, dhp); return; }
#endif
    (void)isa;
    gru_backward_portable(w, a, gs, hPrev, hn, dy, dh, dx, dhp);
}

void ck_rnn_forward(ck_isa isa, long w, int relu, float *a, const float *bias, const float *hp, float *h, float *y) {
    add_bias(w, 1, a, w, bias);
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { rnn_forward_avx2(w, relu, a, hp, h, y); return; }
#endif
    (void)isa;
    rnn_forward_portable(w, relu, a, hp, h, y);
}

void ck_rnn_backward(ck_isa isa, long w, int relu, const float *hOut, const float *dy, float *dh, float *da) {
#if defined(__x86_64__)
    if (isa != CK_ISA_PORTABLE) { rnn_backward_avx2(w, relu, hOut, dy, dh, da); return; }
#endif
    (void)isa;
    rnn_backward_portable(w, relu, hOut, dy, dh, da);
}
