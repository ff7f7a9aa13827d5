/// How long to train: any of a number of epochs, of optimizer steps, or of
/// minutes; training stops when the first one given is reached. The one place
/// that says what a valid budget is, how far a run has got through it, and
/// when it is spent (the `rnn` options check theirs through ``validate(names:)``).
public struct TrainingBudget: Codable, Equatable, Sendable {
    /// Stop after this many epochs (nil: no epoch limit).
    public var epochs: Int?
    /// Stop after this many optimizer steps in all (nil: no step limit).
    public var steps: Int?
    /// Stop after this much training time in all, in minutes (nil: no time limit).
    public var minutes: Double?

    /// A budget of any of `epochs`, `steps` and `minutes`; training stops at the first reached.
    public init(epochs: Int? = nil, steps: Int? = nil, minutes: Double? = nil) {
        self.epochs = epochs
        self.steps = steps
        self.minutes = minutes
    }

    /// The longest time budget accepted: a year, in minutes.
    public static let longestMinutes = 525_600.0

    /// The time budget in seconds.
    public var seconds: Double? { minutes.map { $0 * 60 } }

    /// How an error names each part of the budget: `epochs` in the library,
    /// `--epochs` in the `rnn` tool.
    public struct Names: Sendable {
        /// The names of the epoch, step and time parts.
        public var epochs: String, steps: String, minutes: String
        /// Names for the three parts of a budget.
        public init(epochs: String, steps: String, minutes: String) {
            self.epochs = epochs
            self.steps = steps
            self.minutes = minutes
        }
        /// The library's names: `epochs`, `steps`, `minutes`.
        public static let plain = Names(epochs: "epochs", steps: "steps", minutes: "minutes")
        /// The `rnn` tool's option names: `--epochs`, `--steps`, `--minutes`.
        public static let options = Names(epochs: "--epochs", steps: "--steps", minutes: "--minutes")
    }

    /// Throws a ``ConfigurationError`` naming the part of the budget at fault
    /// with `names`, or returns: at least one part is given, epochs and steps
    /// are at least 1, minutes positive and at most a year.
    public func validate(names: Names = .plain) throws(ConfigurationError) {
        if epochs == nil && steps == nil && minutes == nil {
            throw .missing(setting: "a training budget", expected: "\(names.minutes), \(names.epochs) or \(names.steps)")
        }
        if let e = epochs, e < 1 { throw .invalidValue(setting: names.epochs, value: "\(e)", expected: "must be at least 1") }
        if let s = steps, s < 1 { throw .invalidValue(setting: names.steps, value: "\(s)", expected: "must be at least 1") }
        if let m = minutes, !(m > 0 && m <= Self.longestMinutes) {
            throw .invalidValue(setting: names.minutes, value: "\(m)", expected: "must be positive and at most \(Self.longestMinutes) (a year)")
        }
    }

    /// Whether a run at `progress` (`elapsed` seconds of training in all) has spent the budget.
    public func isSpent(_ progress: TrainingProgress, elapsed: Double) -> Bool {
        if let e = epochs, progress.epoch >= e { return true }
        if let s = steps, progress.step >= s { return true }
        if let t = seconds, elapsed >= t { return true }
        return false
    }

    /// How far through the budget a run at `progress` is, in 0...1 (the part
    /// nearest its end decides), with `batchesPerEpoch` batches per epoch.
    public func fraction(_ progress: TrainingProgress, elapsed: Double, batchesPerEpoch: Int) -> Double {
        var f = 0.0
        if let t = seconds { f = max(f, elapsed / t) }
        if let s = steps { f = max(f, Double(progress.step) / Double(s)) }
        if let e = epochs {
            f = max(f, (Double(progress.epoch) + Double(progress.batchIndex) / Double(max(batchesPerEpoch, 1))) / Double(e))
        }
        return f.isFinite ? min(max(f, 0), 1) : 0
    }
}
