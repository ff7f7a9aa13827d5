import ArgumentParser
import Foundation
import Recurrent

/// Runs the shared loop for any task: refuses to replace another run's
/// checkpoint, resumes (`--resume`) or starts from other weights
/// (`--init-from`), stops cleanly on Ctrl-C, and prints the summary; exit
/// status 130 after an interruption (the checkpoint is written first).
@discardableResult
func trainTask(_ task: any TrainingTask, training: TrainingArguments, defaultSelect: SelectMetric = .loss,
               selectable: [SelectMetric] = [.loss],
               defaults: TrainingDefaults = TrainingDefaults(), inputs: [String: String?] = [:],
               describe: String, communicator: Communicator? = nil, configure: (Trainer) -> Void = { _ in }) throws -> TrainingReport {
    if let select = training.select, !selectable.contains(select) {
        throw ValidationError("--select \(select.rawValue) is not measured by this task's validation; choose from: \(selectable.map(\.rawValue).joined(separator: ", "))")
    }
    var inputs = inputs.compactMapValues { $0 }
    if let model = training.initFrom { inputs["--init-from"] = model }
    var options = try training.options(batchesPerEpoch: task.batchesPerEpoch, defaultSelect: defaultSelect,
                                       defaults: defaults, inputs: inputs)
    options.provenance = provenance(inputs: inputs.filter { $0.key != "--init-from" })
    Precision.processDefault = training.precision
    let distributed = try startDistributed(communicator, task: task, training: training)
    let trainer = try collectively(communicator, "start training") { () throws -> Trainer in
        let trainer = try Trainer(task: task, options: options, distributed: distributed)     // checks every output first
        try refuseToReplaceAnotherRun(options.output, training)
        return trainer
    }
    configure(trainer)
    let plot = try training.plot.map { page in
        // The page is one more output: never an input of the run, nor its checkpoint, resume file or metrics.
        let outputs = [("the checkpoint", options.output), ("the resume file", TrainingOptions.resumePath(for: options.output))]
            + (training.metrics.map { [("the metrics", $0)] } ?? []) + [("the page", page)]
        try OutputFile.requireDistinct(outputs)
        return try LivePlot(metrics: training.metrics ?? "", page: page,
                            inputs: [("--metrics", training.metrics ?? ""), ("--out", training.out)] + inputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
    if let plot { trainer.afterMetrics = { plot.draw() } }
    let resumePath = TrainingOptions.resumePath(for: options.output)
    if training.resume {
        guard FileManager.default.fileExists(atPath: resumePath) else {
            throw TrainingError.resumeMismatch(path: resumePath, reason: "no such file; train without --resume first")
        }
        try collectively(communicator, "resume") { try trainer.resume(from: resumePath) }
        print("resuming from \(resumePath) at step \(trainer.progress.step), epoch \(trainer.progress.displayEpoch)")
    }
    if let model = training.initFrom { print(try collectively(communicator, "read --init-from") { try trainer.initialize(from: model) }) }
    print(describe + (distributed.map { "\ndistributed: \($0.size) ranks, each \(task.batchesPerEpoch) batches per epoch of its share" } ?? ""))
    print("training: batch of \(task.unit), \(task.batchesPerEpoch) batches per epoch; \(options.optimizer.kind) lr \(options.optimizer.learningRate), clip \(options.clipNorm.map { "\($0)" } ?? "off"), schedule \(options.schedule.defaultValueDescription); gemm \(Precision.current == .bf16 ? "bf16" : GEMMBackend.inUse), \(Threads.count) threads")
    ProcessPolicy.installStopHandlers()
    defer { ProcessPolicy.restoreStopHandlers() }
    trainer.stopRequested = { ProcessPolicy.stopRequested }
    let report = try trainer.run()
    if let distributed {
        let hash = try distributed.requireEqualParameters()
        print("ranks agree: the parameters are bitwise equal on all \(distributed.size) ranks (hash \(String(hash, radix: 16)))")
        print("rank 0 " + distributed.timing.summary)
    }
    if report.stop == .alreadyDone {
        print("nothing to train: this run already finished at step \(report.progress.step) (\(report.epochsDescription)); "
              + "give a larger --steps, --epochs or --minutes with --resume to train further. \(options.output) is unchanged")
        return report
    }
    plot?.draw(final: true)
    print(String(format: "trained %d steps (%@) in %@ at %.0f %@/s; model: %@; resume file: %@", report.progress.step,
                 report.epochsDescription, Trainer.duration(report.progress.elapsedSeconds), report.throughput, task.unit, options.output, resumePath))
    if report.stop == .interrupted {
        print("interrupted: checkpoint written; continue with the same command and --resume")
        throw ExitCode(130)
    }
    if report.stop == .earlyStopping { print("stopped early: no improvement in \(options.earlyStoppingPatience ?? 0) validations") }
    return report
}

/// Refuses, unless `--resume` or `--force`, to start a new run whose
/// checkpoint or resume file is already there from an earlier run (after
/// ``Trainer`` has checked that any file there is a checkpoint at all).
private func refuseToReplaceAnotherRun(_ output: String, _ training: TrainingArguments) throws {
    guard !training.resume && !training.force else { return }
    let fm = FileManager.default
    let existing = [output, TrainingOptions.resumePath(for: output)].filter { fm.fileExists(atPath: $0) }
    guard let first = existing.first else { return }
    throw UsageError(description: "\(first) already exists (from an earlier run); continue that run with --resume, "
        + "or give --force to train afresh and replace \(existing.count == 2 ? "both files" : "it")")
}

/// What the checkpoints record about how they were made: the command line
/// (quoted as a shell would need it) and the files read, by option.
private func provenance(inputs: [String: String]) -> [String: String] {
    func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
    var p = ["command_line": (["rnn"] + CommandLine.arguments.dropFirst()).map(quoted).joined(separator: " ")]
    if !inputs.isEmpty {
        let absolute = inputs.mapValues { $0 == StandardInput.name ? $0 : URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let json = try? JSONSerialization.data(withJSONObject: absolute, options: [.sortedKeys, .withoutEscapingSlashes]) {
            p["data"] = String(decoding: json, as: UTF8.self)
        }
    }
    return p
}
