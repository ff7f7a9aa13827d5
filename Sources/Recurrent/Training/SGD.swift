/// Stochastic gradient descent with optional momentum, Nesterov momentum and
/// weight decay, with PyTorch's update rule (`torch.optim.SGD`, dampening 0):
///
///     g = grad + weightDecay * w
///     v = momentum * v + g          (v = g on the first step)
///     w -= lr * (nesterov ? g + momentum * v : v)
public struct SGD: Optimizer {
    /// The learning rate `lr` of the next ``step()``.
    public var learningRate: Float
    /// The momentum; 0 for plain gradient descent.
    public let momentum: Float
    /// Whether the update uses Nesterov momentum.
    public let nesterov: Bool
    /// The L2 penalty added to the gradient, `weightDecay * w`.
    public let weightDecay: Float
    /// Steps taken so far.
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var velocity: OptimizerSlots

    /// SGD over `parameters`; the velocities start at zero.
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float, momentum: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(learningRate >= 0, "SGD: learning rate must not be negative, got \(learningRate)")
        precondition(momentum >= 0 && weightDecay >= 0, "SGD: momentum and weight decay must not be negative")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.velocity = OptimizerSlots(kind: "momentum_buffer", parameters: parameters)
    }

    /// One update of every parameter from its gradient (see the type's equations).
    public mutating func step() {
        let first = stepCount == 0
        stepCount += 1
        let lr = learningRate, mu = momentum, wd = weightDecay, nesterov = nesterov
        for (k, (_, p)) in parameters.enumerated() {
            let grad = p.grad
            velocity.tensors[k].withUnsafeMutableBufferPointer { v in
            p.value.withUnsafeMutableBufferPointer { w in
            grad.withUnsafeBufferPointer { g in
                for i in w.indices {
                    var d = g[i] + wd * w[i]
                    if mu != 0 {
                        v[i] = first ? d : mu * v[i] + d
                        d = nesterov ? d + mu * v[i] : v[i]
                    }
                    w[i] -= lr * d
                }
            }}}
        }
    }

    /// The velocities `momentum_buffer.<name>` (none without momentum), PyTorch's names.
    public func stateTensors() -> [(name: String, tensor: Tensor)] { momentum == 0 ? [] : velocity.named(parameters) }

    /// Restores the velocities written by ``stateTensors()`` and the step count.
    /// - Throws: ``OptimizerStateError`` naming a missing tensor or one of the wrong shape.
    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        if momentum != 0 { try velocity.load(tensors, parameters) }
        self.stepCount = stepCount
    }
}
