/// How far gradients travel back in time: `|dL/dh_t|` against the distance
/// `T - 1 - t` from a loss on the final state, for a recurrent layer and a
/// linear read-out on the ``LongRangeRecall`` task, before and after training.
/// The numbers behind `rnn explain gradients`.
public final class GradientFlow {
    /// The recurrent layer measured (one layer, `hidden` units, input size 8).
    public let rnn: RecurrentLayer
    /// The read-out: the final hidden state to the 4 classes.
    public let head: Linear
    /// The steps between the symbol and the question.
    public let distractors: Int

    /// One measurement on a batch.
    public struct Measurement: Sendable {
        /// `norms[k]`: `|dL/dh_t|` at distance `k = T - 1 - t` from the loss (`k = 0` is the last step), mean loss over the batch.
        public var norms: [Double]
        /// The mean cross-entropy over the batch.
        public var loss: Double
        /// The global L2 norm of all parameter gradients.
        public var parameterGradientNorm: Double
        /// The fraction of the batch whose label the read-out gets right.
        public var accuracy: Double
    }

    /// A one-layer network of `hidden` units on the recall task with `distractors` steps between symbol and question.
    /// Gated cells get the chrono initialisation (forget biases spread over the task's delay) when `chrono` is true.
    public init(cell: CellKind, hidden: Int = 32, distractors: Int = 50, chrono: Bool, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        rnn = RecurrentLayer(cell: cell, inputSize: LongRangeRecall.symbols, hiddenSize: hidden, rng: &rng)
        head = Linear(inputSize: hidden, outputSize: LongRangeRecall.classes, rng: &rng)
        self.distractors = distractors
        if chrono && (cell == .lstm || cell == .gru) { rnn.chronoInitialize(maxDelay: max(3, distractors), rng: &rng) }
    }

    var parameters: [Parameter] { rnn.parameters + head.parameters }

    /// Forward and backward on one batch with the loss on the final state;
    /// gradients are left in the parameters.
    public func measure(_ x: Tensor, labels: [Int]) -> Measurement {
        Parameter.zeroGradients(parameters)
        let T = x.shape[0], B = x.shape[1], H = rnn.hiddenSize
        let r = rnn.forward(x)
        let out = head.forward(RecurrentLayer.slice(r.final.h, 0))
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: labels)
        let dFinal = head.backward(out.trace, gradOutput: ce.gradient)
        let b = rnn.backwardMeasuringStateGradients(r.trace, gradOutput: .zeros([T, B, H]), gradFinal: RecurrentState(
            h: dFinal.reshaped([1, B, H]), c: rnn.cell.hasCellState ? .zeros([1, B, H]) : nil))
        let norms = b.stateGradientNorms[0]
        let correct = (0..<B).filter { out.output.argmax(row: $0) == labels[$0] }.count
        return Measurement(norms: norms.reversed(), loss: Double(ce.loss),
                           parameterGradientNorm: Double(GradientClipping.globalNorm(parameters)),
                           accuracy: Double(correct) / Double(B))
    }

    /// Trains `steps` steps of batch 32 with Adam (learning rate 0.01) and gradients clipped to global norm 5.
    public func train(steps: Int, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var optimizer = Adam(parameters: prefixed("rnn", rnn) + prefixed("head", head), learningRate: 0.01)
        for _ in 0..<steps {
            let (x, y) = LongRangeRecall.batch(32, distractors: distractors, rng: &rng)
            _ = measure(x, labels: y)
            GradientClipping.clipByGlobalNorm(parameters, maxNorm: 5)
            optimizer.step()
        }
    }

    /// Multiplies the recurrent weights `W_hh` by `factor`: the exploding case.
    public func scaleRecurrentWeights(by factor: Float) {
        for pass in rnn.passes.joined() {
            pass.weightHH.value.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= factor } }
        }
    }
}
