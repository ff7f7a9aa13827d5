// Ctrl-C for the `rnn` tool. The first SIGINT/SIGTERM only records a stop
// request (the training loop writes its checkpoint and returns) and says so at
// once; a second one ends the process at once: the resume file is written by
// rename, so it is whole whenever the process ends. Only async-signal-safe
// calls (write, _exit) happen in the handler.
#include "CProcess.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t requests = 0;
static char first[256], second[256];
static size_t first_length = 0, second_length = 0;

static void say(const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(STDERR_FILENO, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}

static void on_stop(int sig) {
    (void)sig;
    requests += 1;
    if (requests == 1) {
        say(first, first_length);
    } else {
        say(second, second_length);
        _exit(130);
    }
}

static size_t copy(char *to, const char *from) {
    size_t n = from ? strlen(from) : 0;
    if (n > 255) n = 255;
    if (n) memcpy(to, from, n);
    to[n] = 0;
    return n;
}

void cp_install_stop_handlers(const char *first_message, const char *second_message) {
    first_length = copy(first, first_message);
    second_length = copy(second, second_message);
    requests = 0;
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

void cp_restore_stop_handlers(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int cp_stop_requests(void) { return requests; }
