import CKernels
import Foundation

/// Why training stopped with an error. Messages say what happened, where, and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case nonFiniteLoss(step: Int, lastFiniteLoss: Double?, checkpoint: String?)
    case nonFiniteGradient(step: Int, checkpoint: String?)
    case resumeMismatch(path: String, reason: String)
    case noTrainingData(String)

    public var description: String {
        func kept(_ c: String?) -> String { c.map { " The last good checkpoint, \($0), is intact." } ?? "" }
        switch self {
        case let .invalidOption(why): return "invalid training option: \(why)"
        case let .nonFiniteLoss(step, last, c):
            return "the loss became NaN or infinite at step \(step) (last finite loss: \(last.map { String(format: "%.4f", $0) } ?? "none")); lower the learning rate or clip gradients.\(kept(c))"
        case let .nonFiniteGradient(step, c):
            return "the gradients became NaN or infinite at step \(step); lower the learning rate or clip gradients.\(kept(c))"
        case let .resumeMismatch(path, reason): return "\(path): cannot resume: \(reason)"
        case let .noTrainingData(why): return "no training data: \(why)"
        }
    }
}

/// How long and how to train, shared by every task.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Stop after this many epochs (nil: no epoch limit).
    public var epochs: Int? = nil
    /// Stop after this many optimizer steps in all (nil: no step limit).
    public var maxSteps: Int? = nil
    /// Stop after this much training time in all, in seconds (nil: no time limit).
    public var maxSeconds: Double? = nil
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
    public var seed: UInt64 = 1
    /// The model checkpoint: the best by validation loss, or the last without validation data.
    public var output: String
    /// A JSON-lines file of training and validation metrics.
    public var metricsPath: String? = nil
    /// Print progress every this many steps.
    public var logEvery = 50
    /// Also write the resume file every this many seconds (it is always written
    /// at each validation, at the end, and on SIGINT/SIGTERM).
    public var checkpointEverySeconds: Double = 120
    /// Skip batches whose loss or gradients are not finite (counted) instead of stopping.
    public var skipNonFinite = false
    /// The files the run reads, by option (`--data`: path): no output may be one of them.
    public var inputs: [String: String] = [:]
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule = .constant

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

    /// The longest time budget accepted: a year, in seconds.
    public static let longestRun: Double = 365 * 86_400

    /// Checks every option before any work starts.
    public func check() throws {
        if epochs == nil && maxSteps == nil && maxSeconds == nil {
            throw TrainingError.invalidOption("give a budget: epochs, steps or minutes")
        }
        if let e = epochs, e < 1 { throw TrainingError.invalidOption("epochs must be at least 1, got \(e)") }
        if let s = maxSteps, s < 1 { throw TrainingError.invalidOption("steps must be at least 1, got \(s)") }
        if let t = maxSeconds, !(t > 0 && t <= Self.longestRun) {
            throw TrainingError.invalidOption("the time budget must be positive and at most \(Int(Self.longestRun / 86_400)) days, got \(t) s")
        }
        if validateEvery < 0 { throw TrainingError.invalidOption("validation interval must not be negative") }
        if let c = clipNorm, !(c > 0 && c.isFinite) { throw TrainingError.invalidOption("gradient clipping norm must be positive, got \(c)") }
        if let p = earlyStoppingPatience, p < 1 { throw TrainingError.invalidOption("early-stopping patience must be at least 1") }
        if logEvery < 1 { throw TrainingError.invalidOption("log interval must be at least 1") }
        if let why = optimizer.problem { throw TrainingError.invalidOption(why) }
        if let why = schedule.problem { throw TrainingError.invalidOption(why) }
    }
}

/// Where training stands: saved in the resume file so `--resume` continues exactly.
public struct TrainingProgress: Codable, Equatable, Sendable {
    public var step = 0
    public var epoch = 0
    /// The next batch of the current epoch.
    public var batchIndex = 0
    public var rngState: [String]
    public var scheduler: LearningRateScheduler
    public var bestLoss: Double? = nil
    /// The best value of the selected metric, when one is selected.
    public var bestScore: Double? = nil
    public var validationsWithoutImprovement = 0
    public var elapsedSeconds = 0.0
    public var skippedBatches = 0
    public var lastLoss: Double? = nil
    /// Batches per epoch when this was saved (absent in older resume files):
    /// a resume with another batch size maps ``batchIndex`` onto the new epoch.
    public var batchesPerEpoch: Int? = nil
}

/// What a training run did.
public struct TrainingReport: Sendable {
    public enum Stop: String, Sendable { case budget, earlyStopping, interrupted }
    public var progress: TrainingProgress
    public var stop: Stop
    public var lastValidationLoss: Double?
    public var lastMetrics: [String: Double]
    /// Items per second over the run.
    public var throughput: Double
}

/// The training loop every task model shares: budgets (epochs, steps, time),
/// validation, best and last checkpoints, early stopping, progress and metrics,
/// exact resumption, non-finite detection, and a clean stop on SIGINT/SIGTERM.
public final class Trainer {
    public let task: any TrainingTask
    public let options: TrainingOptions
    public internal(set) var progress: TrainingProgress
    var optimizer: any Optimizer
    var rng: SeededRNG
    /// Called after each validation with the step and validation loss (the demo prints a sample here).
    public var afterValidation: ((Int, Double) -> Void)?
    /// Called after each line written to the metrics file (`rnn train --plot` redraws its page here).
    public var afterMetrics: (() -> Void)?
    /// Where progress lines go.
    public var log: (String) -> Void = { line in print(line); fflush(nil) }
    /// Whether progress redraws one line (a terminal) or prints plain lines.
    public var interactive = isatty(STDOUT_FILENO) != 0
    /// Opens the metrics file (tests inject a writer that fails).
    var makeMetricsWriter: (String) throws -> MetricsWriter = { try MetricsWriter(path: $0) }
    /// Advisory locks on the outputs, held for the trainer's life.
    private var locks: [OutputLock] = []

    public init(task: any TrainingTask, options: TrainingOptions) throws {
        try options.check()
        guard task.batchesPerEpoch > 0 else { throw TrainingError.noTrainingData("the training set yields no batch") }
        self.task = task
        self.options = options
        self.optimizer = options.optimizer.make(task.parameters)
        self.rng = SeededRNG(seed: options.seed)
        self.progress = TrainingProgress(rngState: [], scheduler: LearningRateScheduler(schedule: options.schedule,
                                                                                       baseRate: options.optimizer.learningRate))
        locks = try Self.claimOutputs(options)
    }

    /// Checks every file the run will write before any training (see
    /// ``OutputFile``), locks them against other runs, and clears temporary
    /// files that killed runs left beside them.
    static func claimOutputs(_ options: TrainingOptions) throws -> [OutputLock] {
        let inputs = options.inputs.sorted { $0.key < $1.key }.map { (option: $0.key, path: $0.value) }
        var outputs: [(role: String, path: String, content: OutputFile.Content)] = [
            ("the checkpoint", options.output, .checkpoint), ("the resume file", TrainingOptions.resumePath(for: options.output), .checkpoint),
        ]
        if let m = options.metricsPath { outputs.append(("the metrics", m, .jsonLines)) }
        try OutputFile.requireDistinct(outputs.map { ($0.role, $0.path) })
        for o in outputs { try OutputFile.check(o.path, role: o.role, content: o.content, inputs: inputs) }
        // One lock covers the checkpoint and its resume file.
        let locks = try [OutputFile.lock(options.output, role: "the checkpoint")]
            + (options.metricsPath.map { [try OutputFile.lock($0, role: "the metrics")] } ?? [])
        for o in outputs.prefix(2) { OutputFile.removeStaleTemporaries(of: o.path) }
        return locks
    }

    func writeCheckpoints(includeModel: Bool) throws {
        let d = task.checkpointDescription
        var p = progress
        p.rngState = [rng.state.0, rng.state.1, rng.state.2, rng.state.3].map { String($0) }
        var tensors = task.parameters.map { ($0.name, $0.parameter.value) }
        tensors += optimizer.stateTensors().map { ("optimizer." + $0.name, $0.tensor) }
        tensors += task.carriedState.map { ("carried." + $0.name, $0.tensor) }
        p.batchesPerEpoch = task.batchesPerEpoch
        try Checkpoint.write(kind: d.kind, config: d.config, vocabulary: d.vocabulary,
                             extra: ["training_state": canonicalJSON(p), "optimizer": canonicalJSON(options.optimizer),
                                     "training_options": canonicalJSON(RecordedOptions(options, batchesPerEpoch: task.batchesPerEpoch))],
                             tensors: tensors, to: TrainingOptions.resumePath(for: options.output))
        if includeModel { try writeModel() }
    }

    func writeModel() throws {
        let d = task.checkpointDescription
        var extra = ["step": String(progress.step), "epoch": String(progress.epoch)]
        if let best = progress.bestLoss { extra["valid_loss"] = String(best) }
        if let metric = options.selectMetric, let best = progress.bestScore { extra["valid_\(metric)"] = String(best) }
        try Checkpoint.write(kind: d.kind, config: d.config, vocabulary: d.vocabulary, extra: extra,
                             tensors: task.parameters.map { ($0.name, $0.parameter.value) }, to: options.output)
    }

    // MARK: - The loop

    /// Trains until a budget is spent, early stopping triggers, or SIGINT/SIGTERM arrives.
    @discardableResult
    public func run() throws -> TrainingReport {
        ck_install_stop_handlers()
        defer { ck_restore_stop_handlers() }
        let metrics = try options.metricsPath.map { try makeMetricsWriter($0) }
        let parameters = task.parameters.map(\.parameter)
        let hasValidation = task.hasValidationData
        var lastValidation: (loss: Double, metrics: [String: Double])? = nil
        var lastValidatedStep: Int? = nil
        let runStart = Date()
        let startElapsed = progress.elapsedSeconds
        let startStep = progress.step
        var windowLoss = 0.0, windowCount = 0, windowItems = 0, totalItems = 0
        var windowStart = Date(), lastResumeWrite = Date()
        var stop: TrainingReport.Stop = .budget
        var wroteCheckpoint = false

        func elapsed() -> Double { startElapsed + Date().timeIntervalSince(runStart) }
        func budgetSpent() -> Bool {
            if let e = options.epochs, progress.epoch >= e { return true }
            if let s = options.maxSteps, progress.step >= s { return true }
            if let t = options.maxSeconds, elapsed() >= t { return true }
            return false
        }
        func checkpointName() -> String? { wroteCheckpoint ? TrainingOptions.resumePath(for: options.output) : nil }
        /// A metrics line; when it cannot be written (a full disk), training stops
        /// with the last checkpoint intact (the resume file is rewritten first if possible).
        func writeMetrics(_ values: [String: Double]) throws {
            guard let metrics else { return }
            do { try metrics.write(values) } catch let OutputFileError.writeFailed(path, role, reason, _) {
                progress.elapsedSeconds = elapsed()
                if (try? writeCheckpoints(includeModel: false)) != nil { wroteCheckpoint = true }
                throw OutputFileError.writeFailed(path: path, role: role, reason: reason, intact: checkpointName())
            }
            afterMetrics?()
        }

        func runValidation() throws {
            guard let v = task.validate() else { return }
            lastValidation = v
            lastValidatedStep = progress.step
            progress.scheduler.validated(loss: v.loss)
            let improved: Bool
            if let metric = options.selectMetric {
                let score = v.metrics[metric] ?? -.infinity
                improved = progress.bestScore.map { score > $0 } ?? true
                if improved { progress.bestScore = score }
            } else {
                improved = progress.bestLoss.map { v.loss < $0 } ?? true
            }
            if progress.bestLoss.map({ v.loss < $0 }) ?? true { progress.bestLoss = v.loss }
            progress.validationsWithoutImprovement = improved ? 0 : progress.validationsWithoutImprovement + 1
            progress.elapsedSeconds = elapsed()
            if improved { try writeModel() }
            try writeCheckpoints(includeModel: false)
            wroteCheckpoint = true
            lastResumeWrite = Date()
            let extra = v.metrics.sorted { $0.key < $1.key }.map { String(format: " %@ %.4f", $0.key, $0.value) }.joined()
            if interactive { log("") }
            log(String(format: "step %d  epoch %d  valid loss %.4f%@%@", progress.step, progress.epoch + 1, v.loss, extra,
                       improved ? "  (best \(options.selectMetric ?? "loss"), saved)" : ""))
            try writeMetrics(["step": Double(progress.step), "epoch": Double(progress.epoch), "time": elapsed(), "valid_loss": v.loss].merging(v.metrics) { a, _ in a })
            afterValidation?(progress.step, v.loss)
        }

        task.startEpoch(progress.epoch, seed: options.seed)     // deterministic, so a resumed epoch sees the same order

        while !budgetSpent() {
            if ck_stop_signal() != 0 { stop = .interrupted; break }
            Parameter.zeroGradients(parameters)
            let r = task.trainBatch(progress.batchIndex, rng: &rng)
            var finite = r.loss.isFinite
            var norm: Float = 0
            if finite {
                norm = options.clipNorm.map { GradientClipping.clipByGlobalNorm(parameters, maxNorm: $0) }
                    ?? GradientClipping.globalNorm(parameters)
                finite = norm.isFinite
            }
            if !finite {
                guard options.skipNonFinite else {
                    if !r.loss.isFinite {
                        throw TrainingError.nonFiniteLoss(step: progress.step + 1, lastFiniteLoss: progress.lastLoss, checkpoint: checkpointName())
                    }
                    throw TrainingError.nonFiniteGradient(step: progress.step + 1, checkpoint: checkpointName())
                }
                progress.skippedBatches += 1
                log("step \(progress.step + 1): skipped a batch with a non-finite \(r.loss.isFinite ? "gradient" : "loss") (\(progress.skippedBatches) skipped so far)")
            } else {
                let lr = progress.scheduler.rate(step: progress.step, epoch: progress.epoch)
                optimizer.learningRate = lr
                optimizer.step()
                progress.lastLoss = r.loss
                windowLoss += r.loss * Double(r.count)
                windowCount += r.count
                windowItems += r.count
                totalItems += r.count
                if progress.step % options.logEvery == options.logEvery - 1 || progress.step == startStep {
                    let seconds = Date().timeIntervalSince(windowStart)
                    let rate = Double(windowItems) / max(seconds, 1e-9)
                    report(loss: windowLoss / Double(max(windowCount, 1)), rate: rate, lr: lr, norm: norm, elapsed: elapsed())
                    try writeMetrics(["step": Double(progress.step + 1), "epoch": Double(progress.epoch), "loss": windowLoss / Double(max(windowCount, 1)),
                                    "lr": Double(lr), "grad_norm": Double(norm), "\(task.unit)_per_s": rate, "time": elapsed()])
                    windowLoss = 0; windowCount = 0; windowItems = 0; windowStart = Date()
                }
            }
            progress.step += 1
            progress.batchIndex += 1
            let epochEnded = progress.batchIndex >= task.batchesPerEpoch
            if epochEnded {
                progress.epoch += 1
                progress.batchIndex = 0
            }
            if hasValidation && ((options.validateEvery > 0 && progress.step % options.validateEvery == 0)
                                 || (options.validateEvery == 0 && epochEnded)) {
                try runValidation()
                if let patience = options.earlyStoppingPatience, progress.validationsWithoutImprovement >= patience {
                    stop = .earlyStopping
                    break
                }
            }
            if epochEnded && !budgetSpent() { task.startEpoch(progress.epoch, seed: options.seed) }
            if Date().timeIntervalSince(lastResumeWrite) >= options.checkpointEverySeconds {
                progress.elapsedSeconds = elapsed()
                try writeCheckpoints(includeModel: !hasValidation)
                wroteCheckpoint = true
                lastResumeWrite = Date()
            }
        }
        if interactive { log("") }
        // A final validation unless one just ran at this step.
        if hasValidation && lastValidatedStep != progress.step { try runValidation() }
        progress.elapsedSeconds = elapsed()
        try writeCheckpoints(includeModel: !hasValidation)
        let seconds = Date().timeIntervalSince(runStart)
        return TrainingReport(progress: progress, stop: stop, lastValidationLoss: lastValidation?.loss,
                              lastMetrics: lastValidation?.metrics ?? [:], throughput: Double(totalItems) / max(seconds, 1e-9))
    }

    private func report(loss: Double, rate: Double, lr: Float, norm: Float, elapsed: Double) {
        var eta = ""
        var fraction: Double? = nil
        if let t = options.maxSeconds { fraction = elapsed / t }
        if let s = options.maxSteps { fraction = max(fraction ?? 0, Double(progress.step + 1) / Double(s)) }
        if let e = options.epochs {
            fraction = max(fraction ?? 0, (Double(progress.epoch) + Double(progress.batchIndex + 1) / Double(task.batchesPerEpoch)) / Double(e))
        }
        if let f = fraction, f > 0 { eta = "  eta " + Self.duration(max(0, elapsed / min(f, 1) - elapsed)) }
        let line = String(format: "step %d  epoch %d  loss %.4f  lr %.2e  |g| %.2f  %.0f %@/s  %@%@",
                          progress.step + 1, progress.epoch + 1, loss, Double(lr), Double(norm), rate, task.unit,
                          Self.duration(elapsed), eta)
        if interactive, let f = fraction {
            let width = 20, filled = Int((min(f, 1) * Double(width)).rounded())
            print("\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + line + "\u{1B}[K",
                  terminator: "")
            fflush(nil)
        } else {
            log(line)
        }
    }

    /// `seconds` as `1m05s` or `2h03m` (`--` when not a sensible number).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

/// Appends one JSON object per line to a metrics file. A failed write (a full
/// disk) throws ``OutputFileError/writeFailed(path:role:reason:intact:)``.
final class MetricsWriter {
    let path: String
    private let sink: (Data) throws -> Void

    /// Appends to `path` (created when absent; checked by ``OutputFile`` before).
    convenience init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw OutputFileError.refused(path: path, role: "the metrics", reason: String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.init(path: path) { data in
            try data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Foundation.write(handle.fileDescriptor, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw MetricsWriteError(reason: String(cString: strerror(errno))) }
                    done += n
                }
            }
        }
    }

    /// Writes through `sink` (tests inject a failing one).
    init(path: String, sink: @escaping (Data) throws -> Void) {
        self.path = path
        self.sink = sink
    }

    func write(_ values: [String: Double]) throws {
        let body = values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":" + jsonNumber($0.value) }.joined(separator: ",")
        do { try sink(Data("{\(body)}\n".utf8)) } catch {
            throw OutputFileError.writeFailed(path: path, role: "the metrics", reason: (error as? MetricsWriteError)?.reason ?? "\(error)", intact: nil)
        }
    }
}

struct MetricsWriteError: Error { let reason: String }
