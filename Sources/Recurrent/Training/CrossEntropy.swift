/// Softmax cross-entropy from logits, computed with a stable log-softmax.
///
/// Shapes: `logits` is `[N, V]`, `targets` holds `N` class ids; a target equal
/// to `ignoreIndex` (or negative) counts for nothing. With `.mean`, the loss is
/// divided by the number of counted rows, as PyTorch's `cross_entropy` does.
public enum CrossEntropy {
    public enum Reduction: Sendable { case mean, sum }

    /// The loss and `dL/dlogits` (`[N, V]`), in one pass.
    public static func lossAndGradient(logits: Tensor, targets: [Int], reduction: Reduction = .mean,
                                       ignoreIndex: Int = -100) -> (loss: Float, gradient: Tensor, counted: Int)
    {
        precondition(logits.rank == 2, "CrossEntropy expects logits of [N, V], got \(logits.shape)")
        let N = logits.shape[0], V = logits.shape[1]
        precondition(targets.count == N, "CrossEntropy: \(targets.count) targets for \(N) rows of logits")
        var grad = Tensor.zeros([N, V])
        var total = 0.0
        var counted = 0
        logits.withUnsafeBufferPointer { pl in
            grad.withUnsafeMutableBufferPointer { pg in
                for n in 0..<N {
                    let target = targets[n]
                    if target == ignoreIndex || target < 0 { continue }
                    precondition(target < V, "CrossEntropy: target \(target) outside 0..<\(V)")
                    let row = pl.baseAddress! + n * V, g = pg.baseAddress! + n * V
                    var m = -Float.infinity
                    for v in 0..<V { m = max(m, row[v]) }
                    for v in 0..<V { g[v] = row[v] - m }
                    Pointwise.exp(g, g, V)
                    var s: Float = 0
                    for v in 0..<V { s += g[v] }
                    total += Double(m + _logf(s) - row[target])   // -log softmax[target]
                    let inv = 1 / s
                    for v in 0..<V { g[v] *= inv }
                    g[target] -= 1
                    counted += 1
                }
            }
        }
        var loss = Float(total)
        if reduction == .mean && counted > 0 {
            let scale = 1 / Float(counted)
            loss *= scale
            for i in 0..<grad.count { grad.scalars[i] *= scale }
        }
        return (loss, grad, counted)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func _logf(_ x: Float) -> Float { logf(x) }
