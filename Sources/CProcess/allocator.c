// Allocator tuning for training loops that free and reallocate the same large
// buffers every step: glibc returns blocks above its mmap threshold to the
// kernel on free, so each step page-faults (and zero-fills) them afresh.
#include "CProcess.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int cp_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // Serve blocks up to 32 MiB (glibc's largest allowed threshold) from the
    // heap, and keep up to 1 GiB of freed heap memory for reuse.
    int mmapOK = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    int trimOK = mallopt(M_TRIM_THRESHOLD, 1 << 30);
    // Grow the heap in 64 MiB steps rather than page by page.
    int padOK = mallopt(M_TOP_PAD, 64 << 20);
    return mmapOK && trimOK && padOK;
#else
    return 0;
#endif
}
