import CKernels

/// Runs `body` with denormal floats flushed to zero on the calling thread
/// (see CKernels/denormals.c: vanishing gradients otherwise slow the
/// arithmetic down by an order of magnitude), restoring the mode afterwards.
@inline(__always)
func withoutDenormals<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ck_denormals_flush()
    defer { ck_denormals_restore(previous) }
    return try body()
}
