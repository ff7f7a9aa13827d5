// A two-member team for short, repeated parallel work: a helper thread that
// spins for a while after each piece of work, so handing it the next piece
// costs an atomic store instead of waking a sleeping thread (tens of
// microseconds against a ~250 us token, or a ~100 us recurrent step). After
// a fifth of a millisecond without work it sleeps on a condition
// variable, so an idle team does not take a core from the rest of the program.
//
// When the host does not give the team both cores (another process runs, or
// more threads were asked for than there are cores), a spinning member only
// delays the one that has the core. Three things keep that case near
// single-thread speed: the spinning helper yields its core every few
// microseconds; in work without a barrier the caller runs member 1 itself when
// the helper has not claimed it by the time member 0 is done; and when
// barrier waits of a millisecond or more show up in work with barriers (the
// time loops), ck_team_try_run refuses such work for the next half second
// (longer while it keeps happening), so the caller runs it alone.
#include "CKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct ck_team {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic long posted;
    _Atomic long finished;
    _Atomic int quit;
    _Atomic int sleeping;
    _Atomic int busy;
    _Atomic long arrived;
    _Atomic long claimed;          // the last run whose member 1 someone took
    _Atomic long slow_waits;       // barrier waits of SLOW_WAIT_NANOSECONDS or more
    _Atomic long serial_until;     // no barrier work before this time (ns)
    _Atomic long serial_window;    // how long the last such pause was (ns)
    ck_team_fn fn;
    void *context;
};

// How long the helper spins after a piece of work before it sleeps.
static const long SPIN_NANOSECONDS = 200000;
// A barrier wait this long means the other member had no core to run on.
static const long SLOW_WAIT_NANOSECONDS = 1000000;
// After such a wait, work with barriers runs on the caller alone for this long;
// twice as long each time the contention is still there right after a pause,
// up to the maximum.
static const long SERIAL_NANOSECONDS = 500000000;
static const long MAX_SERIAL_NANOSECONDS = 8000000000L;

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

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
        long start = now_ns();
        while ((p = atomic_load(&t->posted)) == seen) {
            if (atomic_load(&t->quit)) return NULL;
            ++spins;
            // Give the core away now and then, in case the caller waits for it.
            if ((spins & 1023) == 0) sched_yield();
            if ((spins & 63) != 0 || now_ns() - start < SPIN_NANOSECONDS) { relax(); continue; }
            // Sleep until posted moves. `sleeping` is set before `posted` is
            // read again and the poster sets `posted` before reading `sleeping`
            // (both sequentially consistent), so one of the two sees the other.
            pthread_mutex_lock(&t->lock);
            atomic_store(&t->sleeping, 1);
            while (atomic_load(&t->posted) == seen && !atomic_load(&t->quit))
                pthread_cond_wait(&t->wake, &t->lock);
            atomic_store(&t->sleeping, 0);
            pthread_mutex_unlock(&t->lock);
            start = now_ns();
        }
        seen = p;
        long previous = p - 1;
        // The caller may have run member 1 itself already (see execute).
        if (!atomic_compare_exchange_strong(&t->claimed, &previous, p)) continue;
        t->fn(t->context, 1);
        atomic_store_explicit(&t->finished, p, memory_order_release);
    }
}

ck_team *ck_team_create(void) {
    ck_team *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, helper, t) != 0) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

static void wake_helper(ck_team *t) {
    if (atomic_load(&t->sleeping)) {
        pthread_mutex_lock(&t->lock);
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
    }
}

// Runs one piece of work on both members. With `may_steal` (work without a
// barrier), the caller runs member 1 too when the helper has not claimed it by
// the time member 0 is done.
static void execute(ck_team *t, ck_team_fn fn, void *context, int may_steal) {
    t->fn = fn;
    t->context = context;
    atomic_store(&t->arrived, 0);
    long p = atomic_fetch_add(&t->posted, 1) + 1;
    wake_helper(t);
    fn(context, 0);
    if (may_steal) {
        long previous = p - 1;
        if (atomic_compare_exchange_strong(&t->claimed, &previous, p)) {
            fn(context, 1);
            return;
        }
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&t->finished, memory_order_acquire) != p) {
        if (++spins < 20000) relax(); else sched_yield();
    }
}

void ck_team_run(ck_team *t, ck_team_fn fn, void *context) {
    // Wait for any other caller to finish (calling this from inside the team's
    // own work would wait forever: that is what ck_team_try_run is for).
    int expected = 0;
    while (!atomic_compare_exchange_weak(&t->busy, &expected, 1)) {
        expected = 0;
        sched_yield();
    }
    execute(t, fn, context, 1);
    atomic_store(&t->busy, 0);
}

int ck_team_try_run(ck_team *t, ck_team_fn fn, void *context, int with_barriers) {
    if (with_barriers && now_ns() < atomic_load(&t->serial_until)) return 0;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&t->busy, &expected, 1)) return 0;
    long slow = atomic_load(&t->slow_waits);
    execute(t, fn, context, !with_barriers);
    if (with_barriers && atomic_load(&t->slow_waits) - slow >= 2) {
        long now = now_ns(), window = atomic_load(&t->serial_window);
        int again = window > 0 && now - atomic_load(&t->serial_until) < SERIAL_NANOSECONDS;
        window = again ? (window * 2 < MAX_SERIAL_NANOSECONDS ? window * 2 : MAX_SERIAL_NANOSECONDS) : SERIAL_NANOSECONDS;
        atomic_store(&t->serial_window, window);
        atomic_store(&t->serial_until, now + window);
    }
    atomic_store(&t->busy, 0);
    return 1;
}

long ck_team_slow_waits(ck_team *t) { return atomic_load(&t->slow_waits); }

int ck_team_helper_sleeping(ck_team *t) { return atomic_load(&t->sleeping); }

void ck_team_sync(ck_team *t) {
    // Arrivals are numbered 1, 2, 3, ...; the two members of barrier n arrive
    // as 2n-1 and 2n, and both leave once 2n have arrived.
    long mine = atomic_fetch_add(&t->arrived, 1) + 1;
    long target = (mine + 1) / 2 * 2;
    // Spin; yield after a while in case the other member has no core to run on
    // (more threads asked for than the machine has).
    unsigned spins = 0;
    long start = 0;
    while (atomic_load_explicit(&t->arrived, memory_order_acquire) < target) {
        if (++spins < 4000) { relax(); continue; }
        if (start == 0) start = now_ns();
        sched_yield();
    }
    if (start != 0 && now_ns() - start >= SLOW_WAIT_NANOSECONDS) atomic_fetch_add(&t->slow_waits, 1);
}

void ck_team_destroy(ck_team *t) {
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->quit, 1);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
