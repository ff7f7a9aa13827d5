// CKernels: the few hot loops that need instructions Swift cannot enable per
// function (AVX2, FMA, AVX-512). Every entry point has a portable path and the
// instruction set is chosen at run time.
#ifndef CKERNELS_H
#define CKERNELS_H

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

/// Row-major matrix-vector product on one thread: y = A x + beta y, A of M x K
/// with row stride lda. `beta == 0` overwrites y.
void ck_sgemv(ck_isa isa, long M, long K, const float *A, long lda, const float *x, float beta, float *y);

/// y[i] = exp(x[i]); x and y may alias.
void ck_vexp(ck_isa isa, const float *x, float *y, long n);
/// y[i] = 1 / (1 + exp(-x[i])); x and y may alias.
void ck_vsigmoid(ck_isa isa, const float *x, float *y, long n);
/// y[i] = tanh(x[i]); x and y may alias.
void ck_vtanh(ck_isa isa, const float *x, float *y, long n);

/// A caller and one spinning helper thread that run `fn(context, 0)` and
/// `fn(context, 1)` at once; for short, repeated parallel work (generation).
typedef struct ck_team ck_team;
typedef void (*ck_team_fn)(void *context, int member);
/// Starts the helper thread; NULL if it cannot be started.
ck_team *ck_team_create(void);
/// Runs member 0 on the calling thread and member 1 on the helper; returns when both are done.
void ck_team_run(ck_team *team, ck_team_fn fn, void *context);
/// Stops and joins the helper.
void ck_team_destroy(ck_team *team);

/// Marks the calling thread as running inside parallel work (1) or not (0).
void ck_set_serial(int on);
/// Whether the calling thread is marked by ck_set_serial.
int ck_serial(void);

/// Installs SIGINT/SIGTERM handlers that only record the signal.
void ck_install_stop_handlers(void);
/// Restores the default SIGINT/SIGTERM behaviour.
void ck_restore_stop_handlers(void);
/// The signal received since installation (0 for none).
int ck_stop_signal(void);
void ck_clear_stop_signal(void);

#ifdef __cplusplus
}
#endif
#endif
