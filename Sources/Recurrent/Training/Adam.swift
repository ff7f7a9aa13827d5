import CKernels
import Foundation

/// Adam (Kingma & Ba, 2015) with bias correction, as `torch.optim.Adam`; with
/// `decoupledWeightDecay` it is AdamW (Loshchilov & Hutter, 2019), as `torch.optim.AdamW`:
///
///     AdamW: w -= lr * weightDecay * w            Adam: g = grad + weightDecay * w
///     m = β1 m + (1 - β1) g,   v = β2 v + (1 - β2) g²
///     w -= lr * (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε)
public struct Adam: Optimizer {
    /// The learning rate `lr` of the next ``step()``.
    public var learningRate: Float
    /// `β1`, the decay of the first-moment average `m`.
    public let beta1: Float
    /// `β2`, the decay of the second-moment average `v`.
    public let beta2: Float
    /// `ε`, added to `sqrt(v̂)` so the division is safe.
    public let epsilon: Float
    /// The L2 penalty (Adam) or the decoupled decay (AdamW) per step.
    public let weightDecay: Float
    /// Whether weight decay is decoupled (AdamW) rather than added to the gradient (Adam).
    public let decoupledWeightDecay: Bool
    /// Steps taken so far, `t`; the bias correction uses it.
    public private(set) var stepCount = 0
    let parameters: [(name: String, parameter: Parameter)]
    var m: OptimizerSlots
    var v: OptimizerSlots

    /// Adam over `parameters`, PyTorch's defaults; its moments start at zero.
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        precondition(learningRate >= 0, "Adam: learning rate must not be negative, got \(learningRate)")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must lie in [0, 1), got \(beta1), \(beta2)")
        precondition(epsilon >= 0 && weightDecay >= 0, "Adam: epsilon and weight decay must not be negative")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.m = OptimizerSlots(kind: "exp_avg", parameters: parameters)
        self.v = OptimizerSlots(kind: "exp_avg_sq", parameters: parameters)
    }

    /// One update of every parameter from its gradient (see the type's equations).
    public mutating func step() {
        stepCount += 1
        let t = Double(stepCount)
        let c1 = Float(1 - pow(Double(beta1), t)), c2 = Float(1 - pow(Double(beta2), t))
        let constants = ck_adam_params(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            stepSize: learningRate / c1, c2Root: c2.squareRoot(), decoupled: decoupledWeightDecay ? 1 : 0)
        for (k, (_, p)) in parameters.enumerated() {
            let grad = p.grad
            m.tensors[k].withUnsafeMutableBufferPointer { pm in
            v.tensors[k].withUnsafeMutableBufferPointer { pv in
            p.value.withUnsafeMutableBufferPointer { w in
            grad.withUnsafeBufferPointer { g in
                // The update above, element by element, in one fused pass (CKernels/adam.c).
                withUnsafePointer(to: constants) { constants in
                    Threads.forChunks(count: w.count) { _, range in
                        let i = range.lowerBound
                        ck_adam(CPU.isa, range.count, w.baseAddress! + i, g.baseAddress! + i, pm.baseAddress! + i,
                                pv.baseAddress! + i, constants)
                    }
                }
            }}}}
        }
    }

    /// The moments `exp_avg.<name>` (`m`) and `exp_avg_sq.<name>` (`v`), PyTorch's names.
    public func stateTensors() -> [(name: String, tensor: Tensor)] { m.named(parameters) + v.named(parameters) }

    /// Restores the moments written by ``stateTensors()`` and the step count.
    /// - Throws: ``OptimizerStateError`` naming a missing tensor or one of the wrong shape.
    public mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws {
        try m.load(tensors, parameters)
        try v.load(tensors, parameters)
        self.stepCount = stepCount
    }
}

