// SIGINT / SIGTERM set a flag that the training loop polls, so it can write a
// final checkpoint and exit cleanly instead of dying mid-write.
#include "CKernels.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal = 0;

static void on_stop(int sig) { stop_signal = sig; }

void ck_install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    // A parent may have started us with these signals blocked (threads of test
    // runners often block them); unblock them so the handler can run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void ck_restore_stop_handlers(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int ck_stop_signal(void) { return stop_signal; }

void ck_clear_stop_signal(void) { stop_signal = 0; }
