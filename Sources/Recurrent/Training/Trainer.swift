import Foundation

/// The training loop every task model shares, driven through ``TrainingTask``:
/// budgets (epochs, steps, time), validation, best and last checkpoints,
/// early stopping, progress and metrics, exact resumption, non-finite
/// detection, and a clean stop when ``stopRequested`` says so.
///
/// The trainer installs nothing process-wide: a program that wants Ctrl-C to
/// stop training cleanly sets ``stopRequested`` from its own signal handling
/// (the `rnn` tool does).
public final class Trainer {
    /// The task being trained.
    public let task: any TrainingTask
    /// The options of the run.
    public let options: TrainingOptions
    /// Where training stands; updated after each step.
    public internal(set) var progress: TrainingProgress
    var optimizer: any Optimizer
    var rng: SeededRNG
    /// Asked before each step and between the batches of a validation pass;
    /// once it returns true the run writes its checkpoint at once (a
    /// validation in progress is abandoned, to run first when the run
    /// resumes) and returns with ``TrainingReport/Stop/interrupted``.
    public var stopRequested: () -> Bool = { false }
    /// Called after each validation with the step and validation loss (the demo prints a sample here).
    public var afterValidation: ((Int, Double) -> Void)?
    /// Called after each line written to the metrics file (`rnn train --plot` redraws its page here).
    public var afterMetrics: (() -> Void)?
    /// Where lines that stay go (validations, notes, and all progress when not ``interactive``).
    public var log: (String) -> Void = { line in print(line); fflush(nil) }
    /// Whether progress is one status line redrawn in place (a terminal) or plain lines.
    public var interactive = isatty(STDOUT_FILENO) != 0
    /// The width the status line must fit in, in columns.
    public var terminalWidth: () -> Int = ProgressDisplay.terminalWidth
    /// Opens the metrics file (tests inject a writer that fails).
    var makeMetricsWriter: (String) throws -> MetricsWriter = { try MetricsWriter(path: $0) }
    /// Advisory locks on the outputs, held for the trainer's life.
    var locks: [OutputLock] = []
    /// Data-parallel training over several ranks, or nil for one process.
    package let distributed: DistributedTraining?

    /// A trainer for `task` in this process: checks `options` and claims the
    /// outputs (their advisory locks are held for the trainer's life).
    ///
    /// - Throws: ``TrainingError`` for options that cannot work or a task with no
    ///   batch, ``OutputFileError`` for outputs another run holds or that are not ours to write.
    public convenience init(task: any TrainingTask, options: TrainingOptions) throws {
        try self.init(task: task, options: options, distributed: nil)
    }

    /// With `distributed`, this rank trains its share (see ``DistributedTraining``);
    /// only rank 0 claims and writes the outputs.
    package init(task: any TrainingTask, options: TrainingOptions, distributed: DistributedTraining?) throws {
        do { try options.validate() } catch { throw TrainingError.invalidOption(error.description) }
        guard task.batchesPerEpoch > 0 else { throw TrainingError.noTrainingData("the training set yields no batch") }
        self.task = task
        self.options = options
        self.optimizer = options.optimizer.make(task.parameters)
        self.rng = SeededRNG(seed: options.seed)
        self.distributed = distributed
        self.progress = TrainingProgress(rngState: [], scheduler: LearningRateScheduler(schedule: options.schedule,
                                                                                       baseRate: options.optimizer.learningRate))
        if distributed?.isWriter ?? true { locks = try Self.claimOutputs(options) }
    }

    /// `seconds` as `1m05s` or `2h03m` (`--` when not a sensible number).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    // MARK: - The loop

    /// Trains until the budget is spent, early stopping triggers, or ``stopRequested`` says so.
    /// A run whose budget was already spent (a finished run resumed) trains
    /// nothing, writes nothing and returns ``TrainingReport/Stop/alreadyDone``.
    /// A resumed run whose validation a stop cut short runs it first.
    @discardableResult
    public func run() throws -> TrainingReport {
        let pending = progress.validationPending == true && task.hasValidationData
        if options.budget.isSpent(progress, elapsed: progress.elapsedSeconds) && !pending {
            return TrainingReport(progress: progress, stop: .alreadyDone, lastValidationLoss: nil, lastMetrics: [:], throughput: 0)
        }
        let r = try startRun()
        r.display.update { $0 = statusBase($0) }
        r.display.start()
        defer { r.display.stop() }
        task.startEpoch(progress.epoch, seed: options.seed)     // deterministic, so a resumed epoch sees the same order
        var stop = TrainingReport.Stop.budget
        if pending { stop = try validateAndCheckPatience(r) ?? .budget }
        while try stop == .budget && !budgetSpent(r) {
            if stopSignalled() { stop = .interrupted; break }
            try step(r)
            let epochEnded = advance()
            if validationDue(epochEnded: epochEnded), let ended = try validateAndCheckPatience(r) {
                stop = ended
                break
            }
            if try epochEnded && !budgetSpent(r) { task.startEpoch(progress.epoch, seed: options.seed) }
            if try agreed(Date().timeIntervalSince(r.lastResumeWrite) >= options.checkpointEverySeconds) { try saveCheckpoints(r) }
        }
        // A final validation unless one just ran, or a stop was asked for (the checkpoint comes first then).
        if stop != .interrupted && task.hasValidationData && r.lastValidatedStep != progress.step, try !validate(r) { stop = .interrupted }
        try saveCheckpoints(r)
        return report(r, stop: stop)
    }

    /// A validation, then how the run ends because of it: interrupted (a stop
    /// cut it short), early stopping (patience spent), or nil to go on.
    private func validateAndCheckPatience(_ r: TrainingRun) throws -> TrainingReport.Stop? {
        guard try validate(r) else { return .interrupted }
        if let patience = options.earlyStoppingPatience, progress.validationsWithoutImprovement >= patience { return .earlyStopping }
        return nil
    }

    func startRun() throws -> TrainingRun {
        progress.batchesPerEpoch = task.batchesPerEpoch
        let display = ProgressDisplay(interactive: interactive, log: log, width: terminalWidth, budgetSeconds: options.budget.seconds)
        let r = TrainingRun(display: display, metrics: try (distributed?.isWriter ?? true ? options.metricsPath : nil).map { try makeMetricsWriter($0) },
                            parameters: task.parameters.map(\.parameter), earlierSeconds: progress.elapsedSeconds, firstStep: progress.step)
        display.elapsed = { [weak r] in r?.elapsed() ?? 0 }
        return r
    }

    func report(_ r: TrainingRun, stop: TrainingReport.Stop) -> TrainingReport {
        TrainingReport(progress: progress, stop: stop, lastValidationLoss: r.lastValidation?.loss, lastMetrics: r.lastValidation?.metrics ?? [:],
                       throughput: Double(r.totalItems) / max(Date().timeIntervalSince(r.start), 1e-9))
    }

    /// One optimizer step on the next batch: forward and backward, clipping,
    /// the update, and the step's progress. A non-finite loss or gradient
    /// stops the run with an error (or, with ``TrainingOptions/skipNonFinite``, skips the batch).
    func step(_ r: TrainingRun) throws {
        let parameters = r.parameters
        Parameter.zeroGradients(parameters)
        let result = try trainBatch()
        let updateStart = Date()
        var norm = Float.nan
        if result.loss.isFinite {
            norm = options.clipNorm.map { GradientClipping.clipByGlobalNorm(parameters, maxNorm: $0) } ?? GradientClipping.globalNorm(parameters)
        }
        guard result.loss.isFinite && norm.isFinite else { return try skip(nonFiniteLoss: !result.loss.isFinite, r) }
        let lr = progress.scheduler.rate(step: progress.step, epoch: progress.epoch)
        optimizer.learningRate = lr
        optimizer.step()
        distributed?.timing.addOptimizer(start: updateStart)
        progress.lastLoss = result.loss
        progress.step += 1
        progress.batchIndex += 1
        r.add(loss: result.loss, count: result.count)
        try reportStep(r, learningRate: lr, gradientNorm: norm)
    }

    /// Counts a batch whose loss or gradients are not finite, or stops with the error.
    private func skip(nonFiniteLoss: Bool, _ r: TrainingRun) throws {
        let intact = r.wroteCheckpoint ? TrainingOptions.resumePath(for: options.output) : nil
        guard options.skipNonFinite else {
            if nonFiniteLoss { throw TrainingError.nonFiniteLoss(step: progress.step + 1, lastFiniteLoss: progress.lastLoss, checkpoint: intact) }
            throw TrainingError.nonFiniteGradient(step: progress.step + 1, checkpoint: intact)
        }
        progress.skippedBatches += 1
        progress.step += 1
        progress.batchIndex += 1
        r.display.note("step \(progress.step): skipped a batch with a non-finite \(nonFiniteLoss ? "loss" : "gradient") (\(progress.skippedBatches) skipped so far)")
    }

    /// Starts the next epoch when this one has run out of batches; returns whether it did.
    private func advance() -> Bool {
        guard progress.batchIndex >= task.batchesPerEpoch else { return false }
        progress.epoch += 1
        progress.batchIndex = 0
        return true
    }

    private func validationDue(epochEnded: Bool) -> Bool {
        task.hasValidationData && (options.validateEvery > 0 ? progress.step % options.validateEvery == 0 : epochEnded)
    }

    // MARK: - Validation

    /// One validation pass: records the best, writes the model when it
    /// improved and the resume file always, then a line on screen and in the metrics file.
    /// Returns false, recording nothing, when ``stopRequested`` cut the pass
    /// short (one process only: ranks validate to the end, as the stop reaches
    /// them at different times); the resume file then says it is pending.
    @discardableResult
    func validate(_ r: TrainingRun) throws -> Bool {
        let epoch = progress.displayEpoch
        r.display.update { $0.validatingSince = Date(); $0.validationFraction = 0 }
        if !interactive { r.display.note("step \(progress.step)  epoch \(epoch)  validating") }
        let control = PassControl(shouldStop: distributed == nil ? { [unowned self] in self.stopRequested() } : { false },
                                  progress: { [display = r.display] done, total in
                                      display.update { $0.validationFraction = Double(done) / Double(max(total, 1)) }
                                  })
        task.passControl = control
        defer { task.passControl = nil }
        let result = try validation()
        r.display.update { $0.validatingSince = nil; $0.validationFraction = nil }
        if control.stopped {
            progress.validationPending = true
            r.display.note("step \(progress.step): validation stopped after \(control.done) of \(control.total) batches; the resumed run validates first")
            return false
        }
        progress.validationPending = nil
        guard let v = result else { return true }
        r.lastValidation = v
        r.lastValidatedStep = progress.step
        progress.scheduler.validated(loss: v.loss)
        let improved = recordBest(v)
        progress.elapsedSeconds = r.elapsed()
        if improved { try writeModel(validation: v) }
        try writeResumeFile(r)
        let figure = options.selectMetric.flatMap { m in v.metrics[m].map { String(format: "valid %@ %.4f", m, $0) } }
            ?? String(format: "valid loss %.4f", v.loss)
        r.display.update { $0.lastValidation = figure }
        let extra = v.metrics.sorted { $0.key < $1.key }.map { String(format: " %@ %.4f", $0.key, $0.value) }.joined()
        r.display.note(String(format: "step %d  epoch %d  valid loss %.4f%@%@", progress.step, epoch, v.loss, extra,
                              improved ? "  (best \(options.selectMetric ?? "loss"), saved)" : ""))
        var line = ["step": Double(progress.step), "epoch": Double(epoch), "valid_loss": v.loss]
        for (name, value) in v.metrics { line["valid_" + name] = value }
        try writeMetrics(line, r)
        if let afterValidation { r.display.above { afterValidation(progress.step, v.loss) } }
        return true
    }

    /// Updates the best loss and score and the count of validations without
    /// improvement; returns whether `v` is the best by the selected measure.
    /// A figure that is missing (an abandoned pass) or not finite (a diverged
    /// model) is never the best, so it can neither freeze the best nor be stored.
    private func recordBest(_ v: (loss: Double, metrics: [String: Double])) -> Bool {
        let improved: Bool
        let lossImproved = v.loss.isFinite && (progress.bestLoss.map { v.loss < $0 } ?? true)
        if let metric = options.selectMetric {
            let score = v.metrics[metric] ?? .nan
            improved = score.isFinite && (progress.bestScore.map { score > $0 } ?? true)
            if improved { progress.bestScore = score }
        } else {
            improved = lossImproved
        }
        if lossImproved { progress.bestLoss = v.loss }
        progress.validationsWithoutImprovement = improved ? 0 : progress.validationsWithoutImprovement + 1
        return improved
    }

    // MARK: - Progress

    /// The status line's fields that do not depend on the last steps.
    private func statusBase(_ s: ProgressDisplay.Status) -> ProgressDisplay.Status {
        var s = s
        s.step = progress.step
        s.epoch = progress.displayEpoch
        s.epochFraction = progress.batchIndex == 0 && progress.epoch > 0 ? 1 : Double(progress.batchIndex) / Double(task.batchesPerEpoch)
        s.unit = task.unit
        var counted = progress
        counted.elapsedSeconds = 0
        s.budgetFraction = options.budget.fraction(counted, elapsed: 0, batchesPerEpoch: task.batchesPerEpoch)
        return s
    }

    /// Updates the status line after a step; every ``TrainingOptions/logEvery``
    /// steps (and after the run's first) also a plain line and a metrics line.
    private func reportStep(_ r: TrainingRun, learningRate: Float, gradientNorm: Float) throws {
        let window = r.window
        r.display.update { s in
            s = statusBase(s)
            s.loss = window.loss
            s.rate = window.rate
            s.learningRate = learningRate
            s.gradientNorm = gradientNorm
        }
        guard progress.step % options.logEvery == 0 || progress.step == r.firstStep + 1, let loss = window.loss else { return }
        r.display.logStep()
        try writeMetrics(["step": Double(progress.step), "epoch": Double(progress.displayEpoch), "loss": loss, "lr": Double(learningRate),
                          "grad_norm": Double(gradientNorm), task.unit.replacingOccurrences(of: " ", with: "_") + "_per_s": window.rate], r)
        r.closeWindow()
    }

    /// A metrics line, with the training time and the wall-clock time added;
    /// when it cannot be written (a full disk), training stops with the last
    /// checkpoint intact (the resume file is rewritten first if possible).
    func writeMetrics(_ values: [String: Double], _ r: TrainingRun) throws {
        guard let metrics = r.metrics else { return }
        var line = values
        line["time"] = r.elapsed()
        line["timestamp"] = Date().timeIntervalSince1970
        do { try metrics.write(line) } catch let OutputFileError.writeFailed(path, role, reason, _) {
            progress.elapsedSeconds = r.elapsed()
            // Data-parallel, only rank 0 writes metrics: the collective resume file cannot be written from here alone.
            if distributed == nil, (try? writeResumeFile(r)) != nil { r.wroteCheckpoint = true }
            throw OutputFileError.writeFailed(path: path, role: role, reason: reason,
                                              intact: r.wroteCheckpoint ? TrainingOptions.resumePath(for: options.output) : nil)
        }
        afterMetrics?()
    }
}
