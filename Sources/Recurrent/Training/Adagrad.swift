/// Adagrad (Duchi et al., 2011), as `torch.optim.Adagrad` (min-char-rnn's optimizer):
///
///     g = grad + weightDecay * w
///     s += g²
///     w -= lr / (1 + (t - 1) * lrDecay) * g / (sqrt(s) + ε)
public struct Adagrad: Optimizer {
    public var learningRate: Float
    public let learningRateDecay: Float
    public let epsilon: Float
    public let weightDecay: Float
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var sum: OptimizerSlots

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

    public func stateTensors() -> [(name: String, tensor: Tensor)] { sum.named(parameters) }

    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        try sum.load(tensors, parameters)
        self.stepCount = stepCount
    }
}
