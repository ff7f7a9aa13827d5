import CKernels

/// Process-wide memory settings for training.
public enum Memory {
    /// Keeps memory freed by one training step for the next instead of giving
    /// it back to the system and page-faulting it in again (glibc's malloc
    /// otherwise unmaps a freed block above its mmap threshold, which starts
    /// at 128 KiB). The `rnn` tool calls this at start-up; programs using the
    /// library may too.
    /// Returns whether the setting was applied.
    @discardableResult
    public static func keepFreedMemory() -> Bool { ck_keep_freed_memory() != 0 }
}
