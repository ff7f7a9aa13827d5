import Foundation

/// The many-to-one stack the classifiers and the forecaster share, from the
/// recurrent input on: stacked (bi)RNN/LSTM/GRU over each sequence's real
/// steps -> pooling -> dropout -> linear. The text classifier puts an
/// embedding in front of it, the numeric models scaled values; the loss
/// (cross-entropy, MSE, MAE) is the caller's. Parameter names: `rnn.*`, `head.*`.
public final class PooledRecurrentStack: Layer {
    /// The recurrent stack (`rnn.*`, PyTorch's names).
    public let rnn: RecurrentLayer
    /// The output layer, pooled features `[B, D*H]` to outputs `[B, O]`.
    public let head: Linear
    /// How each sequence's outputs become one feature vector.
    public let pooling: Pooling
    let dropout: Dropout

    /// Draws the recurrent stack's parameters from `rng`, then the head's.
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, bidirectional: Bool, dropout: Float,
                pooling: Pooling, outputs: Int, rng: inout SeededRNG) {
        rnn = RecurrentLayer(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                             bidirectional: bidirectional, dropout: dropout, rng: &rng)
        head = Linear(inputSize: rnn.outputSize, outputSize: outputs, rng: &rng)
        self.pooling = pooling
        self.dropout = Dropout(probability: dropout)
    }

    /// `rnn.*` then `head.*`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("rnn", rnn) + prefixed("head", head)
    }

    /// The outputs `[B, O]` for `x` (`[T, B, I]`, sequence `b` real for its
    /// first `lengths[b]` steps). With `loss` (outputs -> loss and its
    /// gradient), also the loss, and in training the parameter gradients are
    /// added and `dL/dx` (`[T, B, I]`) is returned.
    public func run(_ x: Tensor, lengths: [Int], training: Bool, rng: inout SeededRNG,
                    loss: ((Tensor) -> (loss: Double, gradient: Tensor))?) -> (output: Tensor, loss: Double, gradInput: Tensor?) {
        let T = x.shape[0], B = x.shape[1], F = rnn.outputSize
        let r = rnn.forward(x, lengths: lengths, training: training, rng: &rng)
        let pooled = pool(r.output, final: r.final, lengths: lengths)
        let d = dropout.forward(pooled.features, training: training, rng: &rng)
        let out = head.forward(d.output)
        guard let loss else { return (out.output, .nan, nil) }
        let l = loss(out.output)
        guard training else { return (out.output, l.loss, nil) }
        let dPooled = dropout.backward(d.trace, gradOutput: head.backward(out.trace, gradOutput: l.gradient))
        let (dOutput, dFinal) = unpool(dPooled, pooled: pooled, T: T, B: B, F: F, lengths: lengths)
        let dx = rnn.backward(r.trace, gradOutput: dOutput, gradFinal: dFinal).gradInput
        return (out.output, l.loss, dx)
    }

    /// The mean cross-entropy against `targets` as a ``run(_:lengths:training:rng:loss:)`` loss.
    public static func crossEntropy(_ targets: [Int]?) -> ((Tensor) -> (loss: Double, gradient: Tensor))? {
        targets.map { t in { logits in
            let ce = CrossEntropy.lossAndGradient(logits: logits, targets: t)
            return (Double(ce.loss), ce.gradient)
        } }
    }

    // MARK: - Pooling forward and backward

    struct Pooled {
        var features: Tensor            // [B, F]
        var argmax: [Int]               // max pooling: the step chosen per (b, j)
    }

    /// `output` is `[T, B, F]`; returns `[B, F]`.
    func pool(_ output: Tensor, final: RecurrentState, lengths: [Int]) -> Pooled {
        let B = lengths.count, F = rnn.outputSize, H = rnn.hiddenSize, D = rnn.directionCount
        var features = Tensor.zeros([B, F])
        var argmax = pooling == .max ? [Int](repeating: 0, count: B * F) : []
        output.withUnsafeBufferPointer { po in
        final.h.withUnsafeBufferPointer { ph in
        features.withUnsafeMutableBufferPointer { pf in
            let o = po.baseAddress!, f = pf.baseAddress!
            switch pooling {
            case .last:
                // The top layer's rows of h_n are (L-1)*D + d.
                let top = (rnn.layerCount - 1) * D
                for b in 0..<B { for d in 0..<D {
                    (f + b * F + d * H).update(from: ph.baseAddress! + ((top + d) * B + b) * H, count: H)
                } }
            case .mean:
                for b in 0..<B {
                    let row = f + b * F, scale = 1 / Float(max(lengths[b], 1))
                    for t in 0..<lengths[b] { let x = o + (t * B + b) * F; for j in 0..<F { row[j] += x[j] } }
                    for j in 0..<F { row[j] *= scale }
                }
            case .max:
                for b in 0..<B where lengths[b] > 0 {
                    let row = f + b * F
                    row.update(from: o + b * F, count: F)
                    for t in 1..<lengths[b] {
                        let x = o + (t * B + b) * F
                        for j in 0..<F where x[j] > row[j] { row[j] = x[j]; argmax[b * F + j] = t }
                    }
                }
            }
        }}}
        return Pooled(features: features, argmax: argmax)
    }

    /// The gradient of pooling: `g` is `[B, F]`; returns the gradient for the
    /// outputs `[T, B, F]` and, for `.last`, for the final state.
    func unpool(_ g: Tensor, pooled: Pooled, T: Int, B: Int, F: Int, lengths: [Int]) -> (Tensor, RecurrentState?) {
        var dOutput = Tensor.zeros([T, B, F])
        var dFinal: RecurrentState? = nil
        let H = rnn.hiddenSize, D = rnn.directionCount
        if pooling == .last { dFinal = rnn.zeroState(batch: B) }
        g.withUnsafeBufferPointer { pg in
        dOutput.withUnsafeMutableBufferPointer { pd in
            let gr = pg.baseAddress!, d = pd.baseAddress!
            switch pooling {
            case .last:
                let top = (rnn.layerCount - 1) * D
                dFinal!.h.withUnsafeMutableBufferPointer { ph in
                    for b in 0..<B { for dir in 0..<D {
                        (ph.baseAddress! + ((top + dir) * B + b) * H).update(from: gr + b * F + dir * H, count: H)
                    } }
                }
            case .mean:
                for b in 0..<B {
                    let scale = 1 / Float(max(lengths[b], 1))
                    for t in 0..<lengths[b] { let x = d + (t * B + b) * F; for j in 0..<F { x[j] = gr[b * F + j] * scale } }
                }
            case .max:
                for b in 0..<B where lengths[b] > 0 {
                    for j in 0..<F { d[(pooled.argmax[b * F + j] * B + b) * F + j] = gr[b * F + j] }
                }
            }
        }}
        return (dOutput, dFinal)
    }

    /// Softmax of each row of `logits` (`[B, C]`).
    static func probabilities(_ logits: Tensor) -> [[Float]] {
        let B = logits.shape[0], C = logits.shape[1]
        return (0..<B).map { b in
            let row = Array(logits.scalars[(b * C)..<((b + 1) * C)])
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }
}
