// CKernels: the few hot loops that need instructions Swift cannot enable per
// function (AVX2, FMA, AVX-512). Every entry point has a portable path and the
// instruction set is chosen at run time.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels a kernel can be built for.
typedef enum {
    CK_ISA_PORTABLE = 0,
    CK_ISA_AVX2 = 1,     // AVX2 + FMA
    CK_ISA_AVX512 = 2,   // AVX-512F
} ck_isa;

/// The best level this CPU supports.
ck_isa ck_best_isa(void);

/// A short description of CPU features seen ("avx2 fma avx512f").
const char *ck_cpu_features(void);

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C,
/// with op(A) of M x K and op(B) of K x N, on one thread, using the
/// micro-kernel for `isa` (which must be supported by the CPU).
/// `beta == 0` overwrites C (NaNs in C do not propagate).
void ck_sgemm(ck_isa isa, int transA, int transB,
              long M, long N, long K, float alpha,
              const float *A, long lda, const float *B, long ldb,
              float beta, float *C, long ldc);

/// Floats needed to hold op(B) (K x N) packed for `isa`'s micro-kernel.
size_t ck_packed_b_count(ck_isa isa, long K, long N);
/// Packs op(B) (K x N; B row-major with row stride ldb, transposed when
/// `transB`) into `Bp`, which must hold `ck_packed_b_count(isa, K, N)` floats,
/// 64-byte aligned. A matrix used for many products (a recurrent layer's
/// `W_hh` over a sequence) is packed once this way instead of once per product.
void ck_pack_b(ck_isa isa, int transB, long K, long N, const float *B, long ldb, float *Bp);
/// C = A * B + beta * C on one thread, with A row-major (M x K, row stride
/// lda) and B packed by `ck_pack_b` for the same `isa`. `beta` is 0 or 1.
void ck_sgemm_packed(ck_isa isa, long M, long N, long K, const float *A, long lda, const float *Bp,
                     float beta, float *C, long ldc);

/// Whether the CPU (and OS) can run the bfloat16 kernels (AVX512-BF16).
int ck_has_bf16(void);
/// Float to bfloat16, rounded to nearest with ties to even (NaN stays NaN), and back.
uint16_t ck_bf16_from_float(float x);
float ck_float_from_bf16(uint16_t h);
/// As `ck_sgemm`, with op(A) and op(B) rounded to bfloat16 as they are packed
/// and products accumulated in float (AVX512-BF16). Returns 0, having done
/// nothing, where the CPU lacks the instructions (or memory ran out).
int ck_sgemm_bf16(int transA, int transB, long M, long N, long K, float alpha,
                  const float *A, long lda, const float *B, long ldb, float beta, float *C, long ldc);
/// 32-bit words needed to hold op(B) (K x N) packed as bfloat16 pairs.
size_t ck_packed_b_count_bf16(long K, long N);
/// Packs op(B) as bfloat16 pairs into `Bp` (`ck_packed_b_count_bf16` words, 64-byte aligned).
void ck_pack_b_bf16(int transB, long K, long N, const float *B, long ldb, uint32_t *Bp);
/// C = A * B + beta * C with A rounded to bfloat16 and B packed by
/// `ck_pack_b_bf16`; `beta` is 0 or 1. Returns 0 where the CPU lacks AVX512-BF16.
int ck_sgemm_packed_bf16(long M, long N, long K, const float *A, long lda, const uint32_t *Bp, float beta,
                         float *C, long ldc);

/// The row stride (in bfloat16 values) of a matrix with K columns stored by
/// `ck_bf16_matrix`: K rounded up to 32, so each row is whole 64-byte chunks.
long ck_bf16_row_stride(long K);
/// Rounds a row-major float matrix (M x K, row stride lda) to bfloat16 rows of
/// `ck_bf16_row_stride(K)` values, zero-padded: the weights of batch-1 generation.
void ck_bf16_matrix(long M, long K, const float *A, long lda, uint16_t *out);
/// y = A x + beta y with A stored by `ck_bf16_matrix` and x rounded to bfloat16,
/// accumulated in float. Returns 0 where the CPU lacks AVX512-BF16.
int ck_sgemv_bf16(long M, long K, const uint16_t *A, const float *x, float beta, float *y);
/// The same with x already rounded and padded to the row stride (`xb`, 64-byte aligned).
int ck_sgemv_bf16_rows(long M, long stride, const uint16_t *A, const uint16_t *xb, float beta, float *y);

/// Row-major matrix-vector product on one thread: y = A x + beta y, A of M x K
/// with row stride lda. `beta == 0` overwrites y.
void ck_sgemv(ck_isa isa, long M, long K, const float *A, long lda, const float *x, float beta, float *y);

/// y[i] = exp(x[i]); x and y may alias.
void ck_vexp(ck_isa isa, const float *x, float *y, long n);
/// y[i] = 1 / (1 + exp(-x[i])); x and y may alias.
void ck_vsigmoid(ck_isa isa, const float *x, float *y, long n);
/// y[i] = tanh(x[i]); x and y may alias.
void ck_vtanh(ck_isa isa, const float *x, float *y, long n);

/// Fused cell steps for one batch row's units 0..<w (equations, and the
/// plain-Swift reference steps the tests hold them to, in RNNCell.swift,
/// LSTMCell.swift and GRUCell.swift). Gate blocks of `a`, `da`, `dx` and `dhp` lie `gs` floats
/// apart (the layer's H); those of `hp` lie `w` apart.
/// Every forward kernel first adds `bias` (NULL for none; gate blocks `gs` apart like `a`) to `a`.
/// Elman forward: a = act(a + bias + hp) (tanh, or ReLU when `relu`), copied to h and y.
void ck_rnn_forward(ck_isa isa, long w, int relu, float *a, const float *bias, const float *hp, float *h, float *y);
/// Elman backward: da = (dh + dy) act'(h'), from `hOut` = h' (the layer passes the
/// activations forward left in `a`); dh = 0.
void ck_rnn_backward(ck_isa isa, long w, int relu, const float *hOut, const float *dy, float *dh, float *da);
/// LSTM forward: `a` holds i, f, g, o pre-activations (without W_hh h, which is
/// `hp`) and receives the activations; writes c', h' and y = h'.
void ck_lstm_forward(ck_isa isa, long w, float *a, long gs, const float *bias, const float *hp, const float *cp,
                     float *c, float *h, float *y);
/// LSTM backward: reads activations `a`, c_{t-1} `cp`, c_t `c`, `dy`; updates `dh`
/// (to 0) and `dc` (to dc_{t-1}); writes the pre-activation gradients `da`.
void ck_lstm_backward(ck_isa isa, long w, const float *a, long gs, const float *cp, const float *c, const float *dy,
                      float *dh, float *dc, float *da);
/// GRU forward: `a` holds r, z, n input-side pre-activations and receives the
/// activations; `hp` is W_hh h (without b_hn, which is `bhn`); writes hn, h', y.
void ck_gru_forward(ck_isa isa, long w, float *a, long gs, const float *bias, const float *hp, const float *bhn,
                    const float *hPrev, float *hn, float *h, float *y);
/// GRU backward: writes the input-side (`dx`) and hidden-side (`dhp`) gradients
/// and the direct part of dh_{t-1} into `dh`.
void ck_gru_backward(ck_isa isa, long w, const float *a, long gs, const float *hPrev, const float *hn, const float *dy,
                     float *dh, float *dx, float *dhp);

/// The largest element of x[0..<n] (NaN if any is NaN; -infinity when n is 0).
float ck_vmax(ck_isa isa, const float *x, long n);
/// The sum of x[0..<n], in an order fixed by n.
float ck_vsum(ck_isa isa, const float *x, long n);
/// The sum of squares of x[0..<n], accumulated in float over blocks of 1,024 and in double across blocks.
double ck_sum_squares(ck_isa isa, const float *x, long n);

/// Constants of one Adam / AdamW step (see adam.c).
typedef struct {
    float learningRate, beta1, beta2, epsilon, weightDecay;
    /// learningRate / (1 - beta1^t) and sqrt(1 - beta2^t).
    float stepSize, c2Root;
    /// 1: AdamW's decoupled weight decay; 0: Adam's L2 penalty.
    int decoupled;
} ck_adam_params;
/// One Adam / AdamW update of n weights `w` with gradient `g` and moments `m`, `v`.
void ck_adam(ck_isa isa, long n, float *w, const float *g, float *m, float *v, const ck_adam_params *params);

/// A caller and one helper thread that run `fn(context, 0)` and
/// `fn(context, 1)` at once; for short, repeated parallel work (generation,
/// the time loop of a recurrent layer). The helper spins briefly between
/// pieces of work, then sleeps until the next.
typedef struct ck_team ck_team;
typedef void (*ck_team_fn)(void *context, int member);
/// Starts the helper thread; NULL if it cannot be started.
ck_team *ck_team_create(void);
/// Runs member 0 on the calling thread and member 1 on the helper; returns when both are done.
/// When the helper has not taken member 1 by the time member 0 is done, the caller runs it
/// too (work with `ck_team_sync` never gets there: member 0 waits at the barrier).
/// A second caller waits for the first to finish (never call it from inside the team's own work).
void ck_team_run(ck_team *team, ck_team_fn fn, void *context);
/// As `ck_team_run` when no other caller is using the team (returns 1);
/// returns 0 without running anything when one is. `with_barriers` says the
/// work calls `ck_team_sync`: then it is also refused (0) for a while after
/// barrier waits showed that the two members did not both have a core.
int ck_team_try_run(ck_team *team, ck_team_fn fn, void *context, int with_barriers);
/// How many barrier waits so far took a millisecond or more (the other member had no core).
long ck_team_slow_waits(ck_team *team);
/// 1 while the helper thread sleeps on its condition variable (idle), else 0.
int ck_team_helper_sleeping(ck_team *team);
/// A barrier for the two members inside `fn`: returns once both have called it.
/// Both members must call it the same number of times in a run.
void ck_team_sync(ck_team *team);
/// Stops and joins the helper.
void ck_team_destroy(ck_team *team);


/// Turns on flush-to-zero and denormals-are-zero for the calling thread and
/// returns the previous mode for `ck_denormals_restore` (x86; a no-op elsewhere).
unsigned ck_denormals_flush(void);
void ck_denormals_restore(unsigned previous);

/// Marks the calling thread as running inside parallel work (1) or not (0).
void ck_set_serial(int on);
/// Whether the calling thread is marked by ck_set_serial.
int ck_serial(void);

#ifdef __cplusplus
}
#endif
#endif
