import CKernels
import Foundation

/// The adaptive softmax of Grave et al. (2017), as PyTorch's
/// `nn.AdaptiveLogSoftmaxWithLoss` (same parameters, names and arithmetic):
/// an exact, normalised distribution over `V` classes, cheap when the classes
/// are sorted by frequency.
///
/// The classes are cut at `cutoffs = [c_0, ..., c_{K-1}]` (and `V`): the head
/// scores the `c_0` frequent classes and one entry per tail cluster `k`
/// (classes `c_k..<c_{k+1}`); cluster `k` scores its own classes through a
/// low-rank projection of size `H / div^(k+1)`:
///
///     log p(y | x) = log_softmax(W_head x)[y]                               y < c_0
///     log p(y | x) = log_softmax(W_head x)[c_0 + k]
///                  + log_softmax(W_out,k W_proj,k x)[y - c_k]              c_k <= y < c_{k+1}
///
/// Shapes: `x` is `[N, H]`; `head.weight` `[c_0 + K, H]` (no bias, PyTorch's
/// default `head_bias=False`); `tail.k.0.weight` `[H / div^(k+1), H]`,
/// `tail.k.1.weight` `[c_{k+1} - c_k, H / div^(k+1)]`.
public final class AdaptiveLogSoftmax: Layer {
    /// `H`, the size of each input row.
    public let inputSize: Int
    /// `V`, the number of classes.
    public let classCount: Int
    /// `c_0, ..., c_{K-1}`, without `V`.
    public let cutoffs: [Int]
    /// The head: `[N, H]` to the `c_0` shortlist scores and one score per tail cluster (no bias).
    public let head: Linear
    /// Per cluster: the projection `H -> H / div^(k+1)` and the output layer to its classes.
    public let tails: [(projection: Linear, output: Linear)]

    /// The projection sizes `H / div^(k+1)` as PyTorch computes them (`in_features // div ** (k + 1)`).
    public static func projectionSizes(inputSize H: Int, clusters K: Int, divValue: Float) -> [Int] {
        (0..<K).map { k in
            let size = (Double(H) / pow(Double(divValue), Double(k + 1))).rounded(.down)
            return size.isFinite && size < Double(Int.max) ? Int(size) : 0
        }
    }

    /// Throws a ``ConfigurationError`` when these sizes cannot build the layer.
    public static func validate(inputSize H: Int, classCount V: Int, cutoffs: [Int], divValue: Float) throws(ConfigurationError) {
        guard let first = cutoffs.first, let last = cutoffs.last else {
            throw .unmetRule(setting: "adaptive softmax", expected: "needs at least one cutoff")
        }
        if !(divValue.isFinite && divValue > 0) {
            throw .invalidValue(setting: "adaptive softmax division value", value: "\(divValue)", expected: "must be positive")
        }
        if first < 1 || last >= V || zip(cutoffs, cutoffs.dropFirst()).contains(where: { $0 >= $1 }) {
            throw .invalidValue(setting: "adaptive softmax cutoffs", value: "\(cutoffs)",
                                expected: "must increase strictly within 1..<\(V) (the vocabulary size)")
        }
        if let k = projectionSizes(inputSize: H, clusters: cutoffs.count, divValue: divValue).firstIndex(where: { $0 < 1 }) {
            throw .unmetRule(setting: "adaptive softmax cluster \(k)",
                             expected: "would project \(H) features to none (\(H) / \(divValue)^\(k + 1) < 1); use fewer cutoffs or a smaller division value")
        }
    }

    /// The number of parameters, or nil on overflow (call ``validate(inputSize:classCount:cutoffs:divValue:)`` first).
    public static func parameterCount(inputSize H: Int, classCount V: Int, cutoffs: [Int], divValue: Float) -> Int? {
        let bounds = cutoffs + [V]
        let sizes = projectionSizes(inputSize: H, clusters: cutoffs.count, divValue: divValue)
        return ParameterCount.sum([ParameterCount.product(cutoffs[0] + cutoffs.count, H)]
            + sizes.enumerated().map { k, h in ParameterCount.sum([ParameterCount.product(h, H), ParameterCount.product(bounds[k + 1] - bounds[k], h)]) })
    }

    /// The layer for `classCount` classes cut at `cutoffs`, initialised as PyTorch's `nn.Linear`.
    ///
    /// The caller checks the sizes first with ``validate(inputSize:classCount:cutoffs:divValue:)``
    /// (``LanguageModelConfig/validate()`` does, for a language model): sizes that fail it are a programmer error.
    public init(inputSize: Int, classCount: Int, cutoffs: [Int], divValue: Float = 4, rng: inout SeededRNG) {
        do { try Self.validate(inputSize: inputSize, classCount: classCount, cutoffs: cutoffs, divValue: divValue) } catch {
            preconditionFailure("AdaptiveLogSoftmax: \(error)")
        }
        self.inputSize = inputSize
        self.classCount = classCount
        self.cutoffs = cutoffs
        head = Linear(inputSize: inputSize, outputSize: cutoffs[0] + cutoffs.count, bias: false, rng: &rng)
        let bounds = cutoffs + [classCount]
        tails = Self.projectionSizes(inputSize: inputSize, clusters: cutoffs.count, divValue: divValue).enumerated().map { k, h in
            (Linear(inputSize: inputSize, outputSize: h, bias: false, rng: &rng),
             Linear(inputSize: h, outputSize: bounds[k + 1] - bounds[k], bias: false, rng: &rng))
        }
    }

    /// `head.weight`, then `tail.k.0.weight` (projection) and `tail.k.1.weight` (output) per cluster, PyTorch's names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("head", head) + tails.enumerated().flatMap { k, t in
            prefixed("tail.\(k).0", t.projection) + prefixed("tail.\(k).1", t.output)
        }
    }

    /// The cluster of class `y`: nil for the head's shortlist, else `k`.
    func cluster(of y: Int) -> Int? {
        if y < cutoffs[0] { return nil }
        return (cutoffs.lastIndex { $0 <= y })!
    }

    /// The mean negative log-likelihood of `targets` (`N` ids in `0..<V`; a
    /// negative id counts for nothing) given `x` (`[N, H]`). With
    /// `computingGradient`, gradients are added into the parameters and
    /// `dL/dx` (`[N, H]`) is returned.
    public func loss(_ x: Tensor, targets: [Int], computingGradient: Bool) -> (loss: Double, counted: Int, gradInput: Tensor?) {
        precondition(x.rank == 2 && x.shape[1] == inputSize && x.shape[0] == targets.count,
                     "AdaptiveLogSoftmax(\(inputSize) => \(classCount)) expects x of [\(targets.count), \(inputSize)], got \(x.shape)")
        precondition(targets.allSatisfy { $0 < classCount }, "AdaptiveLogSoftmax: a target lies outside 0..<\(classCount)")
        let N = targets.count, H = inputSize, S = cutoffs[0]
        let counted = targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let scale: Float = counted > 0 ? 1 / Float(counted) : 1
        let clusterOf = targets.map { $0 < 0 ? nil : cluster(of: $0) }
        let headOut = head.forward(x)
        let headTargets = zip(targets, clusterOf).map { t, k in t < 0 ? -1 : k.map { S + $0 } ?? t }
        var total: Double
        var dx: Tensor? = nil
        if computingGradient {
            let headCE = CrossEntropy.lossAndGradient(logits: headOut.output, targets: headTargets, reduction: .sum)
            total = Double(headCE.loss)
            dx = head.backward(headOut.trace, gradOutput: Self.scaled(headCE.gradient, scale))
        } else {
            total = Double(CrossEntropy.loss(logits: headOut.output, targets: headTargets, reduction: .sum).loss)
        }
        let bounds = cutoffs + [classCount]
        for (k, tail) in tails.enumerated() {
            let rows = (0..<N).filter { clusterOf[$0] == k }
            if rows.isEmpty { continue }
            let xk = Self.gatherRows(x, rows)
            let p = tail.projection.forward(xk)
            let o = tail.output.forward(p.output)
            let tailTargets = rows.map { targets[$0] - bounds[k] }
            guard computingGradient else {
                total += Double(CrossEntropy.loss(logits: o.output, targets: tailTargets, reduction: .sum).loss)
                continue
            }
            let ce = CrossEntropy.lossAndGradient(logits: o.output, targets: tailTargets, reduction: .sum)
            total += Double(ce.loss)
            let dp = tail.output.backward(o.trace, gradOutput: Self.scaled(ce.gradient, scale))
            let dxk = tail.projection.backward(p.trace, gradOutput: dp)
            for (r, n) in rows.enumerated() {
                for j in 0..<H { dx!.scalars[n * H + j] += dxk.scalars[r * H + j] }
            }
        }
        return (counted > 0 ? total / Double(counted) : 0, counted, dx)
    }

    /// `log p(y | x)` for every class: `[N, V]` for `x` of `[N, H]` (PyTorch's `log_prob`).
    public func logProbabilities(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inputSize,
                     "AdaptiveLogSoftmax(\(inputSize) => \(classCount)) expects x of [N, \(inputSize)], got \(x.shape)")
        let N = x.shape[0], V = classCount, S = cutoffs[0]
        var headLP = head.forward(x).output
        logSoftmaxRows(&headLP)
        let headWidth = headLP.shape[1]
        var out = Tensor.zeros([N, V])
        for n in 0..<N {
            for v in 0..<S { out.scalars[n * V + v] = headLP.scalars[n * headWidth + v] }
        }
        let bounds = cutoffs + [classCount]
        for (k, tail) in tails.enumerated() {
            var lp = tail.output.forward(tail.projection.forward(x).output).output
            logSoftmaxRows(&lp)
            let width = bounds[k + 1] - bounds[k]
            for n in 0..<N {
                let prior = headLP.scalars[n * headWidth + S + k]
                for j in 0..<width { out.scalars[n * V + bounds[k] + j] = lp.scalars[n * width + j] + prior }
            }
        }
        return out
    }

    // MARK: - Row helpers

    static func scaled(_ t: Tensor, _ s: Float) -> Tensor {
        var y = t
        for i in 0..<y.count { y.scalars[i] *= s }
        return y
    }

    static func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor {
        let H = x.shape[1]
        var y = Tensor.zeros([rows.count, H])
        for (r, n) in rows.enumerated() { y.scalars.replaceSubrange((r * H)..<((r + 1) * H), with: x.scalars[(n * H)..<((n + 1) * H)]) }
        return y
    }

}
