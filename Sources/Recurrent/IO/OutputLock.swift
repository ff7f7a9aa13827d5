import Foundation

/// An advisory lock on an output, held until ``release()`` or deinitialisation.
package final class OutputLock {
    private var fd: Int32
    /// The lock file, `.NAME.lock` beside the output.
    package let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Removes the lock file and releases the lock.
    package func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
