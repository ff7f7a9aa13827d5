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
    /// The learning rate `lr` of the next ``step()``.
    public var learningRate: Float
    /// `α`, the decay of the squared-gradient average.
    public let alpha: Float
    /// `ε`, added to `sqrt(v̂)` so the division is safe.
    public let epsilon: Float
    /// The momentum of the scaled step; 0 for none.
    public let momentum: Float
    /// Whether the squared average is centred by the mean gradient's square.
    public let centered: Bool
    /// The L2 penalty added to the gradient, `weightDecay * w`.
    public let weightDecay: Float
    /// Steps taken so far.
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var squareAverage: OptimizerSlots
    var gradAverage: OptimizerSlots
    var buffer: OptimizerSlots

    /// RMSprop over `parameters`, PyTorch's defaults; its averages start at zero.
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

    /// One update of every parameter from its gradient (see the type's equations).
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

    /// The averages (`square_avg.<name>`, and `grad_avg`, `momentum_buffer` when used), PyTorch's names.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        squareAverage.named(parameters) + (centered ? gradAverage.named(parameters) : []) + (momentum > 0 ? buffer.named(parameters) : [])
    }

    /// Restores the averages written by ``stateTensors()`` and the step count.
    /// - Throws: ``OptimizerStateError`` naming a missing tensor or one of the wrong shape.
    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        try squareAverage.load(tensors, parameters)
        if centered { try gradAverage.load(tensors, parameters) }
        if momentum > 0 { try buffer.load(tensors, parameters) }
        self.stepCount = stepCount
    }
}
