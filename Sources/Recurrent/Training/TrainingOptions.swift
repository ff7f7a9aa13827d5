import Foundation

/// How long and how to train, shared by every task.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Epochs, steps or minutes: training stops at the first reached.
    public var budget = TrainingBudget()
    /// Validate every this many steps; 0 validates at the end of each epoch.
    public var validateEvery = 0
    /// Clip gradients to this global L2 norm (nil: no clipping).
    public var clipNorm: Float? = 5
    /// Stop after this many validations without improvement (nil: never).
    public var earlyStoppingPatience: Int? = nil
    /// What decides the best checkpoint and early stopping: nil for the
    /// validation loss (lower is better), or the name of a validation metric
    /// such as `accuracy` (higher is better).
    public var selectMetric: String? = nil
    /// The seed of every random draw of the run (shuffling, dropout).
    public var seed: UInt64 = 1
    /// The model checkpoint: the best by validation loss (or ``selectMetric``),
    /// or the last without validation data.
    public var output: String
    /// A JSON-lines file of training and validation metrics.
    public var metricsPath: String? = nil
    /// Print a plain progress line every this many steps (a terminal's line is
    /// redrawn several times a second whatever this is).
    public var logEvery = 50
    /// Also write the resume file every this many seconds (it is always written
    /// at each validation, at the end, and when a stop is requested).
    public var checkpointEverySeconds: Double = 120
    /// Skip batches whose loss or gradients are not finite (counted) instead of stopping.
    public var skipNonFinite = false
    /// The files the run reads, by option (`--data`: path): no output may be one of them.
    public var inputs: [String: String] = [:]
    /// Recorded in both checkpoint files' metadata as they are, for example
    /// `command_line` and `data` (``rnn inspect`` shows them).
    public var provenance: [String: String] = [:]
    /// Which optimizer, its learning rate and settings.
    public var optimizer: OptimizerConfig
    /// How the learning rate changes over the run.
    public var schedule: LearningRateSchedule = .constant

    /// Options writing the model to `output`, trained with `optimizer`; every other option at its default.
    public init(output: String, optimizer: OptimizerConfig) {
        self.output = output
        self.optimizer = optimizer
    }

    /// The resume file beside `output`: `model.safetensors` -> `model.resume.safetensors`.
    public static func resumePath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let ext = url.pathExtension
        let stem = ext.isEmpty ? url.path : String(url.path.dropLast(ext.count + 1))
        return stem + ".resume." + (ext.isEmpty ? "safetensors" : ext)
    }

    /// Checks every option before any work starts: throws a ``ConfigurationError``
    /// naming the first that cannot work (``Trainer`` reports it as ``TrainingError/invalidOption(_:)``).
    public func validate() throws(ConfigurationError) {
        try budget.validate()
        if validateEvery < 0 { throw .unmetRule(setting: "validation interval", expected: "must not be negative") }
        if let c = clipNorm, !(c > 0 && c.isFinite) { throw .invalidValue(setting: "gradient clipping norm", value: "\(c)", expected: "must be positive") }
        if let p = earlyStoppingPatience, p < 1 { throw .unmetRule(setting: "early-stopping patience", expected: "must be at least 1") }
        if logEvery < 1 { throw .unmetRule(setting: "log interval", expected: "must be at least 1") }
        if !(checkpointEverySeconds > 0) {
            throw .invalidValue(setting: "the resume-file interval", value: "\(checkpointEverySeconds) s", expected: "must be positive")
        }
        try optimizer.validate()
        try schedule.validate()
    }
}
