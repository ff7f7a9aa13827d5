// Run-time CPU feature detection.
#include "CKernels.h"

ck_isa ck_best_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return CK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_ISA_AVX2;
#endif
    return CK_ISA_PORTABLE;
}

const char *ck_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    static char text[96];
    if (text[0]) return text;
    __builtin_cpu_init();
    char *p = text;
    const char *names[] = {"sse4.2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        int has = 0;
        switch (i) {
        case 0: has = __builtin_cpu_supports("sse4.2"); break;
        case 1: has = __builtin_cpu_supports("avx"); break;
        case 2: has = __builtin_cpu_supports("avx2"); break;
        case 3: has = __builtin_cpu_supports("fma"); break;
        case 4: has = __builtin_cpu_supports("avx512f"); break;
        case 5: has = __builtin_cpu_supports("avx512bw"); break;
        case 6: has = __builtin_cpu_supports("avx512vl"); break;
        }
        if (!has) continue;
        for (const char *s = names[i]; *s; s++) *p++ = *s;
        *p++ = ' ';
    }
    if (p > text) p[-1] = 0; else { const char *s = "none"; while (*s) *p++ = *s++; *p = 0; }
    return text;
#elif defined(__aarch64__)
    return "neon";
#else
    return "portable";
#endif
}
