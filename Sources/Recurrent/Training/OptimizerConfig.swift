/// Which optimizer to build and its settings: what the CLI and checkpoints record.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    /// The optimizer to build: ``SGD``, ``Adam``, AdamW (``Adam`` with decoupled weight decay), ``RMSprop`` or ``Adagrad``.
    public enum Kind: String, Codable, CaseIterable, Sendable { case sgd, adam, adamw, rmsprop, adagrad }

    /// Which optimizer.
    public var kind: Kind
    /// The base learning rate (a schedule scales it).
    public var learningRate: Float
    /// SGD's and RMSprop's momentum (0: none).
    public var momentum: Float = 0
    /// Whether SGD uses Nesterov momentum.
    public var nesterov = false
    /// The weight decay every optimizer applies (AdamW: decoupled).
    public var weightDecay: Float = 0
    /// Adam's `β1`.
    public var beta1: Float = 0.9
    /// Adam's `β2`.
    public var beta2: Float = 0.999
    /// The optimizer's `ε` (nil: its PyTorch default).
    public var epsilon: Float? = nil
    /// RMSprop's smoothing constant (char-rnn: 0.95).
    public var alpha: Float = 0.99

    /// A `kind` optimizer at `learningRate`, every other setting at its default.
    public init(kind: Kind, learningRate: Float) {
        self.kind = kind
        self.learningRate = learningRate
    }

    /// The usual learning rate for each optimizer, when the user gives none.
    public static func defaultLearningRate(_ kind: Kind) -> Float {
        switch kind {
        case .sgd: return 1
        case .adam, .adamw: return 2e-3
        case .rmsprop: return 2e-3
        case .adagrad: return 0.1
        }
    }

    /// Throws a ``ConfigurationError`` naming the first setting that is unusable.
    public func validate() throws(ConfigurationError) {
        if !(learningRate > 0) || !learningRate.isFinite {
            throw .invalidValue(setting: "learning rate", value: "\(learningRate)", expected: "must be a positive number")
        }
        if !(momentum >= 0 && momentum.isFinite) {
            throw .invalidValue(setting: "momentum", value: "\(momentum)", expected: "must be a finite number, not negative")
        }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw .invalidValue(setting: "weight decay", value: "\(weightDecay)", expected: "must be a finite number, not negative")
        }
        if nesterov && (kind != .sgd || momentum == 0) {
            throw .unmetRule(setting: "Nesterov momentum", expected: "needs --optimizer sgd and --momentum > 0")
        }
        if !(0..<1).contains(beta1) || !(0..<1).contains(beta2) { throw .unmetRule(setting: "Adam betas", expected: "must lie in [0, 1)") }
        if !(0..<1).contains(alpha) { throw .unmetRule(setting: "RMSprop alpha", expected: "must lie in [0, 1)") }
        if let e = epsilon, !(e >= 0 && e.isFinite) { throw .unmetRule(setting: "epsilon", expected: "must be a finite number, not negative") }
    }

    /// Builds the optimizer over `parameters`.
    public func make(_ parameters: [(name: String, parameter: Parameter)]) -> any Optimizer {
        switch kind {
        case .sgd:
            return SGD(parameters: parameters, learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        case .adam, .adamw:
            return Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon ?? 1e-8,
                        weightDecay: weightDecay, decoupledWeightDecay: kind == .adamw)
        case .rmsprop:
            return RMSprop(parameters: parameters, learningRate: learningRate, alpha: alpha, epsilon: epsilon ?? 1e-8,
                           momentum: momentum, weightDecay: weightDecay)
        case .adagrad:
            return Adagrad(parameters: parameters, learningRate: learningRate, epsilon: epsilon ?? 1e-10, weightDecay: weightDecay)
        }
    }
}
