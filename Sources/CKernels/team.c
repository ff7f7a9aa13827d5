// A two-member team for batch-1 generation: a helper thread that spins while
// the team exists, so handing it half of a matrix-vector product costs an
// atomic store instead of waking a sleeping thread (tens of microseconds
// against a ~250 us token).
#include "CKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

struct ck_team {
    pthread_t thread;
    _Atomic long posted;
    _Atomic long finished;
    _Atomic int quit;
    ck_team_fn fn;
    void *context;
};

static inline void relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

static void *helper(void *arg) {
    ck_team *t = arg;
    long seen = 0;
    for (;;) {
        long p;
        unsigned spins = 0;
        while ((p = atomic_load_explicit(&t->posted, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&t->quit, memory_order_acquire)) return NULL;
            // Spin briefly, then yield so an idle team does not starve the other thread.
            if (++spins < 20000) relax(); else sched_yield();
        }
        seen = p;
        t->fn(t->context, 1);
        atomic_store_explicit(&t->finished, p, memory_order_release);
    }
}

ck_team *ck_team_create(void) {
    ck_team *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (pthread_create(&t->thread, NULL, helper, t) != 0) { free(t); return NULL; }
    return t;
}

void ck_team_run(ck_team *t, ck_team_fn fn, void *context) {
    t->fn = fn;
    t->context = context;
    long p = atomic_fetch_add_explicit(&t->posted, 1, memory_order_acq_rel) + 1;
    fn(context, 0);
    unsigned spins = 0;
    while (atomic_load_explicit(&t->finished, memory_order_acquire) != p) {
        if (++spins < 20000) relax(); else sched_yield();
    }
}

void ck_team_destroy(ck_team *t) {
    if (!t) return;
    atomic_store_explicit(&t->quit, 1, memory_order_release);
    pthread_join(t->thread, NULL);
    free(t);
}
