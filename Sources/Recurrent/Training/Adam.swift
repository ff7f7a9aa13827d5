/// Adam (Kingma & Ba, 2015) with bias correction, as PyTorch's `torch.optim.Adam`;
/// with `decoupledWeightDecay` it is AdamW (Loshchilov & Hutter, 2019):
///
///     g = grad (+ weightDecay * w for Adam)
///     m = β1 m + (1 - β1) g,   v = β2 v + (1 - β2) g²
///     m̂ = m / (1 - β1^t),      v̂ = v / (1 - β2^t)
///     w -= lr * (m̂ / (sqrt(v̂) + ε) (+ weightDecay * w for AdamW, applied first))
public struct Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    let parameters: [Parameter]
    var m: [Tensor]
    var v: [Tensor]
    /// Steps taken so far.
    public private(set) var stepCount = 0

    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        precondition(learningRate >= 0, "Adam: learning rate must not be negative, got \(learningRate)")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must lie in [0, 1), got \(beta1), \(beta2)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.m = parameters.map { Tensor.zeros($0.shape) }
        self.v = parameters.map { Tensor.zeros($0.shape) }
    }

    public mutating func step() {
        stepCount += 1
        let t = Float(stepCount)
        let c1 = 1 - _powf(beta1, t), c2 = 1 - _powf(beta2, t)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay, decoupled = decoupledWeightDecay
        for (k, p) in parameters.enumerated() {
            let grad = p.grad
            m[k].withUnsafeMutableBufferPointer { pm in
            v[k].withUnsafeMutableBufferPointer { pv in
            p.value.withUnsafeMutableBufferPointer { w in
            grad.withUnsafeBufferPointer { g in
                for i in w.indices {
                    var gi = g[i]
                    if wd != 0 {
                        if decoupled { w[i] -= lr * wd * w[i] } else { gi += wd * w[i] }
                    }
                    pm[i] = b1 * pm[i] + (1 - b1) * gi
                    pv[i] = b2 * pv[i] + (1 - b2) * gi * gi
                    let mHat = pm[i] / c1, vHat = pv[i] / c2
                    w[i] -= lr * mHat / (vHat.squareRoot() + eps)
                }
            }}}}
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func _powf(_ x: Float, _ y: Float) -> Float { powf(x, y) }
