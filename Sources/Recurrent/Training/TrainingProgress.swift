/// Where training stands: saved in the resume file so `--resume` continues exactly.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// Optimizer steps taken (skipped batches included).
    public var step = 0
    /// Epochs completed; the epoch in progress is `epoch + 1` (see ``displayEpoch``).
    public var epoch = 0
    /// The next batch of the current epoch.
    public var batchIndex = 0
    /// The training random generator's state, to continue exactly.
    public var rngState: [String]
    /// The learning-rate schedule's running state.
    public var scheduler: LearningRateScheduler
    /// The best validation loss so far (nil before the first validation).
    public var bestLoss: Double? = nil
    /// The best value of the selected metric, when one is selected.
    public var bestScore: Double? = nil
    /// Validations since the best one, for early stopping.
    public var validationsWithoutImprovement = 0
    /// Training time so far in seconds, over every resumed part of the run.
    public var elapsedSeconds = 0.0
    /// Batches skipped for a non-finite loss or gradient.
    public var skippedBatches = 0
    /// The last training batch's mean loss.
    public var lastLoss: Double? = nil
    /// Batches per epoch when this was saved (absent in older resume files):
    /// a resume with another batch size maps ``batchIndex`` onto the new epoch.
    public var batchesPerEpoch: Int? = nil
    /// Whether a validation was due at ``step`` but a stop request cut it
    /// short (absent, nil, when none was): the resumed run validates first,
    /// so it goes on as the uninterrupted run would have.
    public var validationPending: Bool? = nil
}

extension TrainingProgress {
    /// The 1-based epoch the last step belongs to (the first epoch before any
    /// step): what the screen, the metrics file and the checkpoints call the epoch.
    /// ``epoch`` itself counts the epochs completed.
    public var displayEpoch: Int { batchIndex == 0 && epoch > 0 ? epoch : epoch + 1 }
}
