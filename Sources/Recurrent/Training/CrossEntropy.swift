import CKernels
import Foundation

/// Softmax cross-entropy from logits, computed with a stable log-softmax.
///
/// Shapes: `logits` is `[N, V]`, `targets` holds `N` class ids. A target equal
/// to `ignoreIndex` (or any negative id) counts for nothing: that is how padded
/// time steps are masked. With `.mean`, the loss is divided by the number of
/// counted rows, as PyTorch's `cross_entropy` does.
///
/// With label smoothing `ε`, the target distribution is `(1 - ε) onehot + ε / V`
/// (PyTorch's `label_smoothing`): loss `= (1 - ε) nll + ε mean_v(-log p_v)`,
/// gradient `= p - q`.
public enum CrossEntropy {
    /// How the per-row losses are combined: their mean over counted rows, or their sum.
    public enum Reduction: Sendable { case mean, sum }

    /// The loss and `dL/dlogits` (`[N, V]`), in one pass.
    public static func lossAndGradient(logits: Tensor, targets: [Int], reduction: Reduction = .mean,
                                       ignoreIndex: Int = -100, labelSmoothing: Float = 0) -> (loss: Float, gradient: Tensor, counted: Int)
    {
        var grad = Tensor.zeros(logits.rank == 2 ? logits.shape : [0])
        let r = grad.withUnsafeMutableBufferPointer { g in
            compute(logits: logits, targets: targets, reduction: reduction, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                    gradient: g.baseAddress)
        }
        return (r.loss, grad, r.counted)
    }

    /// The loss alone, for evaluation: the same value as
    /// ``lossAndGradient(logits:targets:reduction:ignoreIndex:labelSmoothing:)``'s,
    /// bit for bit, without writing a gradient.
    public static func loss(logits: Tensor, targets: [Int], reduction: Reduction = .mean,
                            ignoreIndex: Int = -100, labelSmoothing: Float = 0) -> (loss: Float, counted: Int)
    {
        compute(logits: logits, targets: targets, reduction: reduction, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                gradient: nil)
    }

    /// The loss, and `dL/dlogits` into `gradient` (`[N, V]`, zeros on entry) when given;
    /// without it each row's exponentials go to a scratch row.
    private static func compute(logits: Tensor, targets: [Int], reduction: Reduction, ignoreIndex: Int, labelSmoothing: Float,
                                gradient: UnsafeMutablePointer<Float>?) -> (loss: Float, counted: Int)
    {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "CrossEntropy: label smoothing must lie in [0, 1], got \(labelSmoothing)")
        precondition(logits.rank == 2, "CrossEntropy expects logits of [N, V], got \(logits.shape)")
        let N = logits.shape[0], V = logits.shape[1]
        precondition(targets.count == N, "CrossEntropy: \(targets.count) targets for \(N) rows of logits")
        let counted = targets.reduce(0) { $0 + ($1 == ignoreIndex || $1 < 0 ? 0 : 1) }
        // With .mean every row's gradient is divided by the count; fold that into the one pass.
        let scale: Float = reduction == .mean && counted > 0 ? 1 / Float(counted) : 1
        for t in targets where t != ignoreIndex && t >= 0 {
            precondition(t < V, "CrossEntropy: target \(t) outside 0..<\(V)")
        }
        // Rows are independent: split them over the cores; per-row losses are summed in row order.
        var rowLoss = [Double](repeating: 0, count: N)
        logits.withUnsafeBufferPointer { pl in
        rowLoss.withUnsafeMutableBufferPointer { pr in
            Threads.forChunks(count: N, chunkSize: max(1, Threads.chunkSize / max(V, 1))) { _, rows in
                Scratch.withBuffer(count: gradient == nil ? V : 0) { work in
                for n in rows {
                    let target = targets[n]
                    if target == ignoreIndex || target < 0 { continue }
                    let row = pl.baseAddress! + n * V, g = gradient.map { $0 + n * V } ?? work
                    let m = ck_vmax(CPU.isa, row, V)
                    for v in 0..<V { g[v] = row[v] - m }
                    Pointwise.exp(g, g, V)
                    let s = ck_vsum(CPU.isa, g, V)
                    let logZ = m + logf(s)
                    var loss = Double(1 - labelSmoothing) * Double(logZ - row[target])     // -log p[target]
                    if labelSmoothing > 0 {
                        var sumLogP = 0.0
                        for v in 0..<V { sumLogP += Double(row[v] - logZ) }
                        loss -= Double(labelSmoothing) * sumLogP / Double(V)
                    }
                    pr[n] = loss
                    guard gradient != nil else { continue }
                    // dL/dlogit = p - q, q = (1 - ε) onehot + ε / V
                    let inv = scale / s, spread = scale * labelSmoothing / Float(V)
                    for v in 0..<V { g[v] = g[v] * inv - spread }
                    g[target] -= scale * (1 - labelSmoothing)
                }
                }
            }
        }}
        let total = rowLoss.reduce(0, +)
        let loss = Float(total) * scale
        return (loss, counted)
    }
}
