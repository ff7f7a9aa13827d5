/// Adagrad (Duchi et al., 2011), as `torch.optim.Adagrad` (min-char-rnn's optimizer):
///
///     g = grad + weightDecay * w
///     s += g²
///     w -= lr / (1 + (t - 1) * lrDecay) * g / (sqrt(s) + ε)
public struct Adagrad: Optimizer {
    /// The learning rate `lr` before the decay by step.
    public var learningRate: Float
    /// `lrDecay`: the rate at step `t` is `lr / (1 + (t - 1) * lrDecay)`.
    public let learningRateDecay: Float
    /// `ε`, added to `sqrt(s)` so the division is safe.
    public let epsilon: Float
    /// The L2 penalty added to the gradient, `weightDecay * w`.
    public let weightDecay: Float
    /// Steps taken so far, `t`.
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var sum: OptimizerSlots

    /// Adagrad over `parameters`, PyTorch's defaults; the sums start at `initialAccumulator`.
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2, learningRateDecay: Float = 0,
                epsilon: Float = 1e-10, weightDecay: Float = 0, initialAccumulator: Float = 0) {
        precondition(learningRate >= 0, "Adagrad: learning rate must not be negative, got \(learningRate)")
        precondition(learningRateDecay >= 0 && epsilon >= 0 && weightDecay >= 0 && initialAccumulator >= 0,
                     "Adagrad: decay, epsilon, weight decay and initial accumulator must not be negative")
        self.parameters = parameters
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        sum = OptimizerSlots(kind: "sum", parameters: parameters)
        for k in sum.tensors.indices { sum.tensors[k] = Tensor(shape: sum.tensors[k].shape, repeating: initialAccumulator) }
    }

    /// One update of every parameter from its gradient (see the type's equations).
    public mutating func step() {
        stepCount += 1
        let clr = learningRate / (1 + Float(stepCount - 1) * learningRateDecay)
        let eps = epsilon, wd = weightDecay
        for (k, (_, p)) in parameters.enumerated() {
            let grad = p.grad
            sum.tensors[k].withUnsafeMutableBufferPointer { s in
            p.value.withUnsafeMutableBufferPointer { w in
            grad.withUnsafeBufferPointer { g in
                for i in w.indices {
                    let gi = g[i] + wd * w[i]
                    s[i] += gi * gi
                    w[i] -= clr * gi / (s[i].squareRoot() + eps)
                }
            }}}
        }
    }

    /// The squared-gradient sums `sum.<name>`, PyTorch's name.
    public func stateTensors() -> [(name: String, tensor: Tensor)] { sum.named(parameters) }

    /// Restores the sums written by ``stateTensors()`` and the step count.
    /// - Throws: ``OptimizerStateError`` naming a missing tensor or one of the wrong shape.
    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        try sum.load(tensors, parameters)
        self.stepCount = stepCount
    }
}
