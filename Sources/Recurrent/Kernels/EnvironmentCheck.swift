import Foundation

/// The environment variables that change how the kernels run, checked before
/// any work starts: a value that is set but unusable is an error naming the
/// variable and what it accepts, never silently replaced by a default.
package enum EnvironmentCheck {
    /// The most threads `RNN_THREADS` (and `rnn bench --threads`) may ask for.
    package static let maximumThreads = 1024

    /// One sentence per unusable variable (empty when all are fine); `RNN_BLAS`
    /// is ``GEMMBackend/environmentProblem``'s to judge.
    package static func problems() -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var out: [String] = []
        if let t = environment["RNN_THREADS"], threads(t) == nil {
            out.append("RNN_THREADS must be a whole number from 1 to \(maximumThreads), got '\(t)'")
        }
        if let why = GEMMBackend.environmentProblem { out.append(why) }
        if let c = environment["RNN_CPU"], !["portable", "avx2", "avx512"].contains(c.lowercased()) {
            out.append("RNN_CPU must be portable, avx2 or avx512, got '\(c)'")
        }
        return out
    }

    /// `text` as a thread count in 1...``maximumThreads``, or nil.
    static func threads(_ text: String) -> Int? {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1, n <= maximumThreads else { return nil }
        return n
    }
}
