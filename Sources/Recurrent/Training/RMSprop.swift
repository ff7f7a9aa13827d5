/// RMSprop (Tieleman & Hinton, 2012), as `torch.optim.RMSprop`:
///
///     g = grad + weightDecay * w
///     v = α v + (1 - α) g²
///     centered: a = α a + (1 - α) g,  v̂ = v - a²   (else v̂ = v)
///     momentum > 0: b = momentum * b + g / (sqrt(v̂) + ε),  w -= lr * b
///     else:         w -= lr * g / (sqrt(v̂) + ε)
///
/// char-rnn's setting is `alpha: 0.95` (its `decay_rate`).
public struct RMSprop: Optimizer {
    public var learningRate: Float
    public let alpha: Float
    public let epsilon: Float
    public let momentum: Float
    public let centered: Bool
    public let weightDecay: Float
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var squareAverage: OptimizerSlots
    var gradAverage: OptimizerSlots
    var buffer: OptimizerSlots

    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2, alpha: Float = 0.99,
                epsilon: Float = 1e-8, momentum: Float = 0, centered: Bool = false, weightDecay: Float = 0) {
        precondition(learningRate >= 0, "RMSprop: learning rate must not be negative, got \(learningRate)")
        precondition((0..<1).contains(alpha), "RMSprop: alpha must lie in [0, 1), got \(alpha)")
        precondition(epsilon >= 0 && momentum >= 0 && weightDecay >= 0, "RMSprop: epsilon, momentum and weight decay must not be negative")
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
        squareAverage = OptimizerSlots(kind: "square_avg", parameters: parameters)
        gradAverage = OptimizerSlots(kind: "grad_avg", parameters: centered ? parameters : [])
        buffer = OptimizerSlots(kind: "momentum_buffer", parameters: momentum > 0 ? parameters : [])
    }

    public mutating func step() {
        stepCount += 1
        let lr = learningRate, a = alpha, eps = epsilon, mu = momentum, wd = weightDecay, centered = centered
        for (k, (_, p)) in parameters.enumerated() {
            let grad = p.grad
            var ga = centered ? gradAverage.tensors[k] : Tensor.zeros([0])
            var buf = mu > 0 ? buffer.tensors[k] : Tensor.zeros([0])
            squareAverage.tensors[k].withUnsafeMutableBufferPointer { v in
            ga.withUnsafeMutableBufferPointer { gav in
            buf.withUnsafeMutableBufferPointer { b in
            p.value.withUnsafeMutableBufferPointer { w in
            grad.withUnsafeBufferPointer { g in
                for i in w.indices {
                    let gi = g[i] + wd * w[i]
                    v[i] = a * v[i] + (1 - a) * gi * gi
                    var denominator = v[i]
                    if centered {
                        gav[i] = a * gav[i] + (1 - a) * gi
                        denominator -= gav[i] * gav[i]
                    }
                    let update = gi / (denominator.squareRoot() + eps)
                    if mu > 0 {
                        b[i] = mu * b[i] + update
                        w[i] -= lr * b[i]
                    } else {
                        w[i] -= lr * update
                    }
                }
            }}}}}
            if centered { gradAverage.tensors[k] = ga }
            if mu > 0 { buffer.tensors[k] = buf }
        }
    }

    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        squareAverage.named(parameters) + (centered ? gradAverage.named(parameters) : []) + (momentum > 0 ? buffer.named(parameters) : [])
    }

    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        try squareAverage.load(tensors, parameters)
        if centered { try gradAverage.load(tensors, parameters) }
        if momentum > 0 { try buffer.load(tensors, parameters) }
        self.stepCount = stepCount
    }
}
