import Foundation

extension Trainer {
    // MARK: - Checkpoints

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

    /// Writes the resume file, and the model too when there is no validation
    /// data to choose the best one by (the model is then the last), or when
    /// no validation has saved one yet (a run stopped before its first).
    func saveCheckpoints(_ r: TrainingRun) throws {
        progress.elapsedSeconds = r.elapsed()
        try writeResumeFile(r)
        if !task.hasValidationData || (progress.bestLoss == nil && progress.bestScore == nil) { try writeModel(validation: nil) }
    }

    /// The resume file: the model, the optimizer's state, the carried state
    /// and the progress, so that `--resume` continues exactly.
    func writeResumeFile(_ r: TrainingRun) throws {
        let d = task.checkpointDescription
        var p = progress
        p.rngState = [rng.state.0, rng.state.1, rng.state.2, rng.state.3].map { String($0) }
        p.batchesPerEpoch = task.batchesPerEpoch
        var tensors = task.parameters.map { ($0.name, $0.parameter.value) }
        tensors += optimizer.stateTensors().map { ("optimizer." + $0.name, $0.tensor) }
        // Data-parallel: every rank's carried state, gathered in the layout one process would have; rank 0 writes.
        let carried = try distributed.map { try $0.gatherBatchAxis(task.carriedState) } ?? task.carriedState
        tensors += carried.map { ("carried." + $0.name, $0.tensor) }
        let extra = options.provenance.merging([
            "training_state": canonicalJSON(p), "optimizer": canonicalJSON(options.optimizer),
            "training_options": canonicalJSON(RecordedOptions(options, batchesPerEpoch: task.batchesPerEpoch)),
            "world_size": String(distributed?.size ?? 1),
        ]) { $1 }
        if let distributed, !distributed.isWriter {
            r.lastResumeWrite = Date()
            return
        }
        try Checkpoint.write(kind: d.kind, config: d.config, vocabulary: d.vocabulary, extra: extra, tensors: tensors,
                             to: TrainingOptions.resumePath(for: options.output))
        r.wroteCheckpoint = true
        r.lastResumeWrite = Date()
    }

    /// The model checkpoint. Its `step` and `epoch` (1-based) say when it was
    /// saved and, with `validation`, `valid_loss` and `valid_<metric>` are that
    /// same validation's figures: all describe the model in the file.
    func writeModel(validation: (loss: Double, metrics: [String: Double])?) throws {
        guard distributed?.isWriter ?? true else { return }
        let d = task.checkpointDescription
        var extra = options.provenance.merging(["step": String(progress.step), "epoch": String(progress.displayEpoch)]) { $1 }
        if let v = validation {
            extra["valid_loss"] = String(v.loss)
            for (name, value) in v.metrics { extra["valid_" + name] = String(value) }
        }
        try Checkpoint.write(kind: d.kind, config: d.config, vocabulary: d.vocabulary, extra: extra,
                             tensors: task.parameters.map { ($0.name, $0.parameter.value) }, to: options.output)
    }
}

extension Trainer {
    // MARK: - Weights from a file

    /// Copies the model tensors of `checkpoint` into the task's parameters
    /// (names, shapes and finiteness checked first; a resume file's optimizer
    /// and carried state are left out).
    func loadWeights(from checkpoint: Checkpoint) throws {
        let values = try checkpoint.tensors(matching: task.parameters.map { ($0.name, $0.parameter.shape) },
                                            ignoringPrefixes: ["optimizer.", "carried."])
        for (name, p) in task.parameters { if let v = values[name] { p.value = v } }
    }

    /// Fine-tuning: starts from the weights in `path` (a model checkpoint or a
    /// resume file) with a new optimizer, schedule and progress. The file must
    /// hold this same model: its kind, configuration (a differing field is
    /// named) and vocabulary are checked before anything is copied.
    /// - Returns: a line saying what was loaded.
    /// - Throws: ``TrainingError/initMismatch(path:reason:)``, or a
    ///   ``CheckpointError`` naming a missing or misshapen tensor.
    @discardableResult
    public func initialize(from path: String) throws -> String {
        let ck = try Checkpoint.read(path)
        let d = task.checkpointDescription
        guard ck.kind == d.kind else {
            throw TrainingError.initMismatch(path: path, reason: "it holds a \(ck.kind.replacingOccurrences(of: "_", with: " ")), but this command trains a \(d.kind.replacingOccurrences(of: "_", with: " "))")
        }
        if ck.config != d.config {
            throw TrainingError.initMismatch(path: path, reason: "its model differs from the one asked for: \(Self.difference(saved: ck.config, asked: d.config))")
        }
        if ck.vocabulary != d.vocabulary {
            let saved = ck.vocabulary ?? [], now = d.vocabulary ?? []
            let first = zip(saved, now).enumerated().first { $0.element.0 != $0.element.1 }.map(\.offset).map { i in ", first at id \(i): '\(saved[i])' in the file, '\(now[i])' now" } ?? ""
            throw TrainingError.initMismatch(path: path, reason: "its vocabulary differs from the one built from the data (\(saved.count) tokens in the file, \(now.count) now\(first))")
        }
        try loadWeights(from: ck)
        let step = ck.metadata["step"].map { " (step \($0) of its run)" } ?? ""
        return "initialised the weights from \(path)\(step); new optimizer, schedule and step count"
    }
}
