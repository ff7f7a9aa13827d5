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

    /// Why this precision cannot be used here, or nil.
    public var problem: String? {
        isAvailable ? nil : "--precision \(rawValue) needs a CPU with AVX512-BF16 (this one has: \(CPU.features)); use fp32"
    }

    /// The precision for the whole process (the `rnn` tool sets it from `--precision`).
    nonisolated(unsafe) package static var processDefault: Precision = .fp32

    /// Overrides the precision for the current task (tests compare the two this way).
    /// Read on the calling thread: kernels that split work over threads take it from their caller.
    @TaskLocal package static var override: Precision?

    /// The precision in force here (bf16 only where available).
    package static var current: Precision {
        let p = override ?? processDefault
        return p.isAvailable ? p : .fp32
    }
}
