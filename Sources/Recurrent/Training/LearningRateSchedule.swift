import Foundation

/// How the learning rate changes over training. Epochs are counted from 0
/// (the first epoch is epoch 0); steps count optimizer updates from 0.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiply by `factor` once per epoch after epoch `afterEpoch` (1-based, as papers count):
    /// Zaremba et al. halve after epoch 4 (`afterEpoch: 4, factor: 0.5`); char-rnn
    /// multiplies by 0.97 after epoch 10 (`afterEpoch: 10, factor: 0.97`).
    case decayAfter(epoch: Int, factor: Float)
    /// Multiply by `factor` every `every` epochs (PyTorch's `StepLR`).
    case step(every: Int, factor: Float)
    /// Linear warm-up from 0 over `warmupSteps`, then a cosine from the base
    /// rate down to `minimum` at `totalSteps`.
    case cosine(warmupSteps: Int, totalSteps: Int, minimum: Float)
    /// Multiply by `factor` when the validation loss has not improved (by a
    /// relative 1e-4) for `patience` validations, never below `minimum`
    /// (PyTorch's `ReduceLROnPlateau`).
    case reduceOnPlateau(factor: Float, patience: Int, minimum: Float)

    /// Throws a ``ConfigurationError`` when the schedule is unusable.
    public func validate() throws(ConfigurationError) {
        switch self {
        case .constant: return
        case let .decayAfter(epoch, factor):
            if epoch < 0 { throw .unmetRule(setting: "decay epoch", expected: "must not be negative") }
            if !(factor > 0 && factor <= 1) { throw .unmetRule(setting: "decay factor", expected: "must lie in (0, 1]") }
        case let .step(every, factor):
            if every < 1 { throw .unmetRule(setting: "step interval", expected: "must be at least 1 epoch") }
            if !(factor > 0 && factor <= 1) { throw .unmetRule(setting: "step factor", expected: "must lie in (0, 1]") }
        case let .cosine(warmup, total, minimum):
            if warmup < 0 || total < 1 { throw .unmetRule(setting: "cosine", expected: "needs warm-up >= 0 and a total of at least 1 step") }
            if !(minimum >= 0) { throw .unmetRule(setting: "cosine minimum", expected: "must not be negative") }
        case let .reduceOnPlateau(factor, patience, minimum):
            if !(factor > 0 && factor < 1) { throw .unmetRule(setting: "plateau factor", expected: "must lie in (0, 1)") }
            if patience < 0 || minimum < 0 { throw .unmetRule(setting: "plateau patience and minimum", expected: "must not be negative") }
        }
    }
}

/// The running state of a schedule: what the training loop asks for the rate
/// before each step and tells after each validation. Saved in checkpoints.
public struct LearningRateScheduler: Codable, Equatable, Sendable {
    /// The schedule this state follows.
    public let schedule: LearningRateSchedule
    /// The rate the schedule scales, the optimizer's learning rate.
    public let baseRate: Float
    /// The plateau schedule's current multiplier, best loss and count of validations without improvement.
    public private(set) var plateauScale: Float = 1
    /// The best validation loss the plateau schedule has seen.
    public private(set) var plateauBest: Double? = nil
    /// Validations since the plateau schedule's best.
    public private(set) var plateauBad = 0

    /// The state of `schedule` at the start of training, scaling `baseRate`.
    public init(schedule: LearningRateSchedule, baseRate: Float) {
        self.schedule = schedule
        self.baseRate = baseRate
    }

    /// The rate for the update numbered `step` (from 0) during `epoch` (from 0).
    public func rate(step: Int, epoch: Int) -> Float {
        switch schedule {
        case .constant:
            return baseRate
        case let .decayAfter(after, factor):
            return baseRate * powf(factor, Float(max(0, epoch + 1 - after)))
        case let .step(every, factor):
            return baseRate * powf(factor, Float(epoch / every))
        case let .cosine(warmup, total, minimum):
            if step < warmup { return baseRate * Float(step + 1) / Float(warmup) }
            let progress = min(1, Double(step - warmup) / Double(max(1, total - warmup)))
            return minimum + (baseRate - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        case let .reduceOnPlateau(_, _, minimum):
            return max(minimum, baseRate * plateauScale)
        }
    }

    /// Records a validation loss (used by the plateau schedule).
    public mutating func validated(loss: Double) {
        guard case let .reduceOnPlateau(factor, patience, _) = schedule else { return }
        if plateauBest.map({ loss < $0 * (1 - 1e-4) }) ?? true {
            plateauBest = loss
            plateauBad = 0
        } else {
            plateauBad += 1
            if plateauBad > patience {
                plateauScale *= factor
                plateauBad = 0
            }
        }
    }
}

