// Process-wide policy of the `rnn` tool: what Ctrl-C does, and the allocator.
// The Recurrent library installs none of this; a program chooses it.
#ifndef CPROCESS_H
#define CPROCESS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Asks the C allocator to keep freed large blocks for reuse instead of
/// returning them to the system (glibc; returns 1 when applied, 0 elsewhere).
int cp_keep_freed_memory(void);

/// Installs SIGINT/SIGTERM handlers. The first signal records a stop request
/// and writes `first_message` to standard error at once; a second SIGINT or
/// SIGTERM writes `second_message` and ends the process at once with
/// status 130. The messages are copied (at most 255 bytes each).
void cp_install_stop_handlers(const char *first_message, const char *second_message);
/// Restores the default SIGINT/SIGTERM behaviour.
void cp_restore_stop_handlers(void);
/// How many stop signals arrived since installation.
int cp_stop_requests(void);

#ifdef __cplusplus
}
#endif
#endif
