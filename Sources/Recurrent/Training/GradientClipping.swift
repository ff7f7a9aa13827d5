import CKernels

/// Gradient clipping, the cure for exploding gradients.
public enum GradientClipping {
    /// The global L2 norm of all gradients, `sqrt(sum over parameters of |grad|^2)`.
    public static func globalNorm(_ parameters: [Parameter]) -> Float {
        var sum = 0.0
        for p in parameters {
            p.grad.withUnsafeBufferPointer { g in
                // Per-chunk sums added in chunk order: the same result on any thread count.
                var partial = [Double](repeating: 0, count: (g.count + Threads.chunkSize - 1) / Threads.chunkSize)
                partial.withUnsafeMutableBufferPointer { out in
                    Threads.forChunks(count: g.count) { c, range in
                        out[c] = ck_sum_squares(CPU.isa, g.baseAddress! + range.lowerBound, range.count)
                    }
                }
                for s in partial { sum += s }
            }
        }
        return Float(sum.squareRoot())
    }

    /// Scales all gradients by `maxNorm / (norm + 1e-6)` when the global norm
    /// exceeds `maxNorm`, as PyTorch's `clip_grad_norm_` does.
    /// - Returns: the global norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipByGlobalNorm needs a positive maxNorm, got \(maxNorm)")
        let norm = globalNorm(parameters)
        let scale = maxNorm / (norm + 1e-6)
        if scale < 1 {
            for p in parameters {
                p.grad.withUnsafeMutableBufferPointer { g in
                    Threads.forChunks(count: g.count) { _, range in for i in range { g[i] *= scale } }
                }
            }
        }
        return norm
    }

    /// Clamps every gradient element into `[-limit, limit]` (PyTorch's `clip_grad_value_`).
    public static func clipByValue(_ parameters: [Parameter], limit: Float) {
        precondition(limit > 0, "clipByValue needs a positive limit, got \(limit)")
        for p in parameters {
            p.grad.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] = min(max(g[i], -limit), limit) }
            }
        }
    }
}
