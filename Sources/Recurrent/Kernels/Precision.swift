import CKernels

/// The precision of matrix products.
///
/// `fp32` is the default and the one the parity tests hold to PyTorch. `bf16`
/// rounds both operands of every product to bfloat16 (8 bits of mantissa)
/// and accumulates in float, on CPUs with AVX512-BF16: weights, activations,
/// gradients and optimizer state stay float (the weights are the master copy),
/// as in PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)`.
public enum Precision: String, CaseIterable, Sendable, CustomStringConvertible {
    /// 32-bit floats throughout: the default, and what the parity tests check.
    case fp32
    /// Products of operands rounded to bfloat16, accumulated in float (AVX512-BF16 only).
    case bf16

    /// The name: `fp32` or `bf16`.
    public var description: String { rawValue }

    /// Whether this CPU can compute in this precision (bf16 needs AVX512-BF16,
    /// and `RNN_CPU` must not cap the kernels below AVX-512).
    public var isAvailable: Bool {
        switch self {
        case .fp32: return true
        case .bf16: return CPU.hasBF16
        }
    }

    /// Throws a ``ConfigurationError`` when this CPU cannot compute in this precision.
    public func validate() throws(ConfigurationError) {
        if !isAvailable {
            throw .unmetRule(setting: "--precision \(rawValue)", expected: "needs a CPU with AVX512-BF16 (this one has: \(CPU.features)); use fp32")
        }
    }

    /// Runs `body` with every matrix product it computes in this precision: on
    /// the calling task, and on the threads the kernels split their work over.
    /// The library's public way to train or sample in bf16:
    ///
    /// ```swift
    /// let report = try Precision.bf16.use { try Trainer(task: task, options: options).run() }
    /// ```
    ///
    /// Products outside `body` keep the precision in force before (fp32 unless
    /// the `rnn` tool's `--precision` chose otherwise); nested calls take the innermost.
    /// - Throws: the ``ConfigurationError`` of ``validate()`` when this CPU cannot
    ///   compute in this precision (before `body` runs), or what `body` throws.
    public func use<Result>(_ body: () throws -> Result) throws -> Result {
        try validate()
        return try Precision.$override.withValue(self) { try body() }
    }

    /// The precision for the whole process (the `rnn` tool sets it from `--precision`).
    nonisolated(unsafe) package static var processDefault: Precision = .fp32

    /// Overrides the precision for the current task (``use(_:)``; tests compare the two this way).
    /// Read on the calling thread: kernels that split work over threads take it from their caller.
    @TaskLocal package static var override: Precision?

    /// The precision of the matrix products computed here and now: the
    /// innermost ``use(_:)``'s, else the process's (bf16 only where available).
    public static var current: Precision {
        let p = override ?? processDefault
        return p.isAvailable ? p : .fp32
    }
}
