import CKernels
import Dispatch
import Foundation

/// How many threads the kernels spread work over.
package enum Threads {
    /// `RNN_THREADS` when set to a number in 1...``EnvironmentCheck/maximumThreads``
    /// (the CLI refuses other values before it starts), else the number of active cores.
    package static let count: Int = {
        if let text = ProcessInfo.processInfo.environment["RNN_THREADS"], let n = EnvironmentCheck.threads(text) {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for `i` in `0..<n`, in parallel when `n > 1`, and returns
    /// when all are done. The iterations must touch disjoint memory: this is
    /// the one place where the kernels share raw pointers across threads.
    package static func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 {
            if n == 1 { body(0) }
            return
        }
        // On two threads, the shared team's helper takes every other iteration when
        // the team is free: no worker thread to wake for each of the many short
        // parallel regions of a training step.
        if count == 2, let team = WorkTeam.shared, team.tryRun({ member in
            withoutDenormals {
                var i = member
                while i < n { body(i); i += 2 }
            }
        }) {
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: n) { i in withoutDenormals { work(i) } }
        }
    }

    /// Elements per chunk in ``forChunks(count:_:)``.
    package static let chunkSize = 1 << 15

    /// Runs `body` over `0..<count` cut into fixed chunks of ``chunkSize``, in
    /// parallel. The cut depends only on `count`, so per-chunk results combined
    /// in chunk order are the same whatever the thread count.
    package static func forChunks(count: Int, chunkSize: Int = Threads.chunkSize, _ body: (Int, Range<Int>) -> Void) {
        precondition(chunkSize > 0, "forChunks needs a positive chunk size")
        let chunks = (count + chunkSize - 1) / chunkSize
        if chunks <= 1 || ck_serial() != 0 {
            for c in 0..<chunks { body(c, (c * chunkSize)..<min(count, (c + 1) * chunkSize)) }
            return
        }
        parallelFor(chunks) { c in body(c, (c * chunkSize)..<min(count, (c + 1) * chunkSize)) }
    }

    /// Runs `body(0)` and `body(1)` at once on two threads (when there are two),
    /// with each thread marked serial so the kernels inside stay on it.
    package static func pair(_ body: (Int) -> Void) {
        guard count > 1 && ck_serial() == 0 else {
            body(0); body(1)
            return
        }
        // The caller's task-local choices (precision, a forced GEMM backend) hold on the other thread too.
        let precision = Precision.current, backend = GEMMBackend.override
        parallelFor(2) { i in
            ck_set_serial(1)
            Precision.$override.withValue(precision) {
                GEMMBackend.$override.withValue(backend) { body(i) }
            }
            ck_set_serial(0)
        }
    }
}
