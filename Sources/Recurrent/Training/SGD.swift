/// Stochastic gradient descent with optional momentum, Nesterov momentum and
/// weight decay, with PyTorch's update rule:
///
///     g = grad + weightDecay * w
///     v = momentum * v + g          (v = g on the first step)
///     w -= lr * (nesterov ? g + momentum * v : v)
public struct SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    let parameters: [Parameter]
    var velocity: [Tensor?]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(learningRate >= 0, "SGD: learning rate must not be negative, got \(learningRate)")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.velocity = Array(repeating: nil, count: parameters.count)
    }

    public mutating func step() {
        for (k, p) in parameters.enumerated() {
            var g = p.grad
            if weightDecay != 0 { for i in 0..<g.count { g.scalars[i] += weightDecay * p.value.scalars[i] } }
            if momentum != 0 {
                if var v = velocity[k] {
                    for i in 0..<g.count { v.scalars[i] = momentum * v.scalars[i] + g.scalars[i] }
                    velocity[k] = v
                } else {
                    velocity[k] = g
                }
                let v = velocity[k]!
                if nesterov {
                    for i in 0..<g.count { g.scalars[i] += momentum * v.scalars[i] }
                } else {
                    g = v
                }
            }
            let lr = learningRate
            p.value.withUnsafeMutableBufferPointer { w in
                g.withUnsafeBufferPointer { d in for i in w.indices { w[i] -= lr * d[i] } }
            }
        }
    }
}
