import CProcess

/// What the `rnn` process sets up for itself: the library installs nothing
/// process-wide, so signal handling and allocator settings live here.
enum ProcessPolicy {
    /// Keeps memory freed by one training step for the next instead of giving
    /// it back to the system and page-faulting it in again (glibc's malloc
    /// otherwise unmaps a freed block above its mmap threshold, which starts
    /// at 128 KiB).
    static func keepFreedMemory() { _ = cp_keep_freed_memory() }

    /// Ctrl-C (SIGINT) and SIGTERM while training: the first asks the trainer
    /// to stop (it writes its checkpoint at once, with no validation pass
    /// first) and says so at once on standard error; a second ends the
    /// process at once with status 130 (the last checkpoint written is whole).
    static func installStopHandlers() {
        cp_install_stop_handlers("\nstopping: writing the checkpoint, then exiting (Ctrl-C again to quit at once)\n",
                                 "\nquit at once; the last checkpoint written is intact\n")
    }

    static func restoreStopHandlers() { cp_restore_stop_handlers() }

    /// Whether a stop signal has arrived since ``installStopHandlers()``.
    static var stopRequested: Bool { cp_stop_requests() > 0 }
}
