/// The options a resume file records (metadata `training_options`), so that
/// `--resume` can say what changed instead of silently ignoring it.
struct RecordedOptions: Codable, Equatable {
    var epochs: Int?
    var maxSteps: Int?
    var maxSeconds: Double?
    var clipNorm: Float?
    var validateEvery: Int
    var earlyStoppingPatience: Int?
    var selectMetric: String?
    var seed: UInt64
    var schedule: LearningRateSchedule
    var batchesPerEpoch: Int

    init(_ o: TrainingOptions, batchesPerEpoch: Int) {
        epochs = o.budget.epochs
        maxSteps = o.budget.steps
        maxSeconds = o.budget.seconds
        clipNorm = o.clipNorm
        validateEvery = o.validateEvery
        earlyStoppingPatience = o.earlyStoppingPatience
        selectMetric = o.selectMetric
        seed = o.seed
        schedule = o.schedule
        self.batchesPerEpoch = batchesPerEpoch
    }
}
