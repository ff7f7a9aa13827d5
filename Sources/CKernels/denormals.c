// Denormal (subnormal) floats: values below 1.2e-38 that x86 processors
// handle in microcode, a hundred times slower than normal arithmetic.
// Backpropagation through long sequences produces them as gradients vanish
// (a last-step classifier over 40 steps slowed down 16x), so the kernels run
// with the flush-to-zero and denormals-are-zero modes on, as most numerical
// libraries do; a value that small is zero for training's purposes.
#include "CKernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

unsigned ck_denormals_flush(void) {
#if defined(__x86_64__)
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
    return old;
#else
    return 0;
#endif
}

void ck_denormals_restore(unsigned previous) {
#if defined(__x86_64__)
    _mm_setcsr(previous);
#else
    (void)previous;
#endif
}
