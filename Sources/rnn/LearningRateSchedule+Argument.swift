import ArgumentParser
import Recurrent

/// `--schedule`: constant, decay:EPOCH:FACTOR, step:EVERY:FACTOR, cosine:WARMUP_STEPS or plateau:FACTOR:PATIENCE.
/// A cosine's total steps come from the training budget once it is known (``withTotalSteps(_:)``).
extension LearningRateSchedule: ExpressibleByArgument {
    static let argumentForms = "constant, decay:EPOCH:FACTOR, step:EVERY:FACTOR, cosine:WARMUP_STEPS or plateau:FACTOR:PATIENCE"

    public init?(argument: String) {
        guard let s = try? Self.parse(argument) else { return nil }
        self = s
    }

    public var defaultValueDescription: String {
        switch self {
        case .constant: return "constant"
        case let .decayAfter(epoch, factor): return "decay:\(epoch):\(factor)"
        case let .step(every, factor): return "step:\(every):\(factor)"
        case let .cosine(warmup, _, _): return "cosine:\(warmup)"
        case let .reduceOnPlateau(factor, patience, _): return "plateau:\(factor):\(patience)"
        }
    }

    /// Parses `text`, throwing a sentence that says which forms are accepted or what is out of range.
    static func parse(_ text: String) throws -> LearningRateSchedule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number<T: LosslessStringConvertible>(_ i: Int) throws -> T {
            guard i < parts.count, let v = T(parts[i]) else { throw ValidationError("expected \(argumentForms)") }
            return v
        }
        let arity = ["constant": 1, "decay": 3, "step": 3, "cosine": 2, "plateau": 3]
        guard let n = arity[parts[0]], parts.count == n else { throw ValidationError("expected \(argumentForms)") }
        let s: LearningRateSchedule
        switch parts[0] {
        case "decay": s = .decayAfter(epoch: try number(1), factor: try number(2))
        case "step": s = .step(every: try number(1), factor: try number(2))
        case "cosine": s = .cosine(warmupSteps: try number(1), totalSteps: Int.max, minimum: 0)
        case "plateau": s = .reduceOnPlateau(factor: try number(1), patience: try number(2), minimum: 0)
        default: s = .constant
        }
        try Check.settings(try s.validate())
        return s
    }

    /// A cosine ending at `totalSteps`; other schedules unchanged.
    func withTotalSteps(_ totalSteps: Int) -> LearningRateSchedule {
        guard case let .cosine(warmup, _, minimum) = self else { return self }
        return .cosine(warmupSteps: warmup, totalSteps: totalSteps, minimum: minimum)
    }

    var isCosine: Bool {
        if case .cosine = self { return true }
        return false
    }
}
