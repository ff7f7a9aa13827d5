import Foundation

/// An advisory lock on an output, held until ``release()`` or deinitialisation.
public final class OutputLock {
    private var fd: Int32
    /// The lock file, `.NAME.lock` beside the output.
    public let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Removes the lock file and releases the lock.
    public func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
