import Dispatch
import Foundation

/// How many threads the kernels spread work over.
public enum Threads {
    /// `RNN_THREADS` when set to a positive number, else the number of active cores.
    public static let count: Int = {
        if let text = ProcessInfo.processInfo.environment["RNN_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for `i` in `0..<n`, in parallel when `n > 1`, and returns
    /// when all are done. The iterations must touch disjoint memory: this is
    /// the one place where the kernels share raw pointers across threads.
    public static func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 {
            if n == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: n) { work($0) }
        }
    }
}
