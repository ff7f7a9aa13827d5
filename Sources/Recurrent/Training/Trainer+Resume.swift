import Foundation

extension Trainer {
    // MARK: - Resume file

    /// Restores model, optimizer, carried state and progress from a resume file.
    ///
    /// Everything in the file is checked before it is used: the model's
    /// configuration and vocabulary (a differing field is named), every
    /// training-state field's range, the carried state's shapes, and the
    /// optimizer's settings. What may change between runs is applied with a
    /// line through ``log`` saying so: the budget (`--epochs`, `--steps`,
    /// `--minutes`), the learning rate and schedule, clipping, validation
    /// interval, patience and selection metric, and the batch size (the
    /// position in the epoch is mapped onto the new number of batches and the
    /// carried state restarts from zeros). What cannot change (the optimizer
    /// and its other settings, the seed) is refused with the reason.
    public func resume(from path: String) throws {
        func refuse(_ reason: String) -> TrainingError { .resumeMismatch(path: path, reason: reason) }
        var notes: [String] = []
        let ck = try Checkpoint.read(path)
        let d = task.checkpointDescription
        try ck.require(kind: d.kind)
        guard let json = ck.metadata["training_state"] else {
            throw refuse("it has no training state; is it a .resume.safetensors file?")
        }
        let saved: TrainingProgress
        do { saved = try decodeCanonicalJSON(TrainingProgress.self, from: json) } catch {
            throw refuse("its training state cannot be read (\(Self.decodingProblem(error)))")
        }
        let savedWorld = Int(ck.metadata["world_size"] ?? "1") ?? 0, world = distributed?.size ?? 1
        if savedWorld != world {
            throw refuse("it was written by a run on \(savedWorld) rank\(savedWorld == 1 ? "" : "s"), this run has \(world); resume with mpirun -np \(savedWorld)\(savedWorld == 1 ? " or without --distributed" : "")")
        }
        if ck.config != d.config {
            throw refuse("its model configuration differs from the one asked for: \(Self.difference(saved: ck.config, asked: d.config))")
        }
        if ck.vocabulary != d.vocabulary {
            throw refuse("its vocabulary differs from the one built from the data (\(ck.vocabulary?.count ?? 0) tokens in the file, \(d.vocabulary?.count ?? 0) now)")
        }
        do { try Self.validate(saved) } catch { throw refuse("its training state is out of range: \(error)") }
        let learningRateChanged = try checkOptimizer(ck.metadata["optimizer"], step: saved.step, notes: &notes, refuse)
        var restored = saved

        // The batch size (or the data) changed: map the position onto the new epoch.
        var carriedValid = true
        let now = task.batchesPerEpoch
        if let before = saved.batchesPerEpoch, saved.batchIndex >= before {
            throw refuse("its batch index \(saved.batchIndex) is outside the \(before) batches of its own epoch")
        }
        if let before = saved.batchesPerEpoch, before != now {
            restored.batchIndex = min(now - 1, Int(Double(saved.batchIndex) / Double(before) * Double(now)))
            carriedValid = false
            notes.append("resume: \(before) batches per epoch in the resume file, \(now) now (--batch, --seq or the data changed): "
                + "applied, continuing epoch \(saved.epoch + 1) at batch \(restored.batchIndex + 1) of \(now)"
                + (task.carriedStateShapes.isEmpty ? "" : "; the carried state restarts from zeros"))
        } else if saved.batchIndex >= now {
            throw refuse("its batch index \(saved.batchIndex) is outside the \(now) batches of an epoch of this data; were --batch, --seq or the data changed?")
        }

        try applyChangedOptions(ck.metadata["training_options"], to: &restored, learningRateChanged: learningRateChanged, notes: &notes, refuse)

        try loadWeights(from: ck)
        var state: [String: Tensor] = [:], carried: [String: Tensor] = [:]
        for (name, t) in ck.tensors {
            if name.hasPrefix("optimizer.") { state[String(name.dropFirst(10))] = t }
            if name.hasPrefix("carried.") { carried[String(name.dropFirst(8))] = t }
        }
        do { try optimizer.loadState(state, stepCount: saved.step - saved.skippedBatches) } catch {
            throw refuse("\(error)")
        }
        try restoreCarried(carried, applying: carriedValid, refuse)
        let words = saved.rngState.compactMap(UInt64.init)
        guard words.count == 4, words != [0, 0, 0, 0] else { throw refuse("its random-generator state is malformed") }
        rng.state = (words[0], words[1], words[2], words[3])
        progress = restored
        // Said only once everything is accepted.
        notes.forEach(log)
    }

    /// Refuses optimizer settings that the saved optimizer state cannot carry; returns whether only the learning rate changed.
    private func checkOptimizer(_ json: String?, step: Int, notes: inout [String], _ refuse: (String) -> TrainingError) throws -> Bool {
        guard let json else { return false }
        let saved: OptimizerConfig
        do { saved = try decodeCanonicalJSON(OptimizerConfig.self, from: json) } catch {
            throw refuse("its optimizer settings cannot be read (\(Self.decodingProblem(error)))")
        }
        let now = options.optimizer
        if saved.kind != now.kind {
            throw refuse("it was trained with --optimizer \(saved.kind), not \(now.kind); its optimizer state belongs to \(saved.kind)")
        }
        let fixed: [(String, String, String)] = [
            ("--momentum", "\(saved.momentum)", "\(now.momentum)"), ("--nesterov", "\(saved.nesterov)", "\(now.nesterov)"),
            ("--weight-decay", "\(saved.weightDecay)", "\(now.weightDecay)"), ("--alpha", "\(saved.alpha)", "\(now.alpha)"),
            ("beta1", "\(saved.beta1)", "\(now.beta1)"), ("beta2", "\(saved.beta2)", "\(now.beta2)"),
            ("epsilon", "\(saved.epsilon.map { "\($0)" } ?? "default")", "\(now.epsilon.map { "\($0)" } ?? "default")"),
        ]
        for (option, before, after) in fixed where before != after {
            throw refuse("it was trained with \(option) \(before), not \(after); resume with the same \(option) (the optimizer state was built with it) or start afresh")
        }
        if saved.learningRate != now.learningRate {
            notes.append("resume: --lr \(saved.learningRate) in the resume file, \(now.learningRate) now: applied from step \(step + 1)")
            return true
        }
        return false
    }

    /// Restores the carried state after checking its names and shapes against the task's.
    private func restoreCarried(_ carried: [String: Tensor], applying: Bool, _ refuse: (String) -> TrainingError) throws {
        let expected = task.carriedStateShapes
        for name in carried.keys.sorted() where expected[name] == nil {
            throw refuse("it carries a state 'carried.\(name)' this model does not have")
        }
        guard !carried.isEmpty else { return try task.restoreCarriedState([:]) }
        for (name, shape) in expected.sorted(by: { $0.key < $1.key }) {
            guard let t = carried[name] else { throw refuse("its carried state lacks 'carried.\(name)'") }
            if t.shape != shape && applying {
                throw refuse("its carried state 'carried.\(name)' has shape \(t.shape), but this model and batch need \(shape)")
            }
            guard t.scalars.allSatisfy(\.isFinite) else { throw refuse("its carried state 'carried.\(name)' holds NaN or infinite values") }
        }
        try task.restoreCarriedState(applying ? carried : [:])
    }

    /// Applies the options that may change on resume, with a line for each that did; refuses a changed seed.
    private func applyChangedOptions(_ json: String?, to p: inout TrainingProgress, learningRateChanged: Bool,
                                     notes: inout [String], _ refuse: (String) -> TrainingError) throws {
        let now = RecordedOptions(options, batchesPerEpoch: task.batchesPerEpoch)
        var saved: RecordedOptions? = nil
        if let json {
            do { saved = try decodeCanonicalJSON(RecordedOptions.self, from: json) } catch {
                throw refuse("its training options cannot be read (\(Self.decodingProblem(error)))")
            }
        }
        if let saved {
            if saved.seed != now.seed {
                throw refuse("it was trained with --seed \(saved.seed), not \(now.seed); the order of the current epoch depends on it")
            }
            func text<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "none" }
            let changes: [(String, String, String)] = [
                ("--epochs", text(saved.epochs), text(now.epochs)), ("--steps", text(saved.maxSteps), text(now.maxSteps)),
                ("--minutes", text(saved.maxSeconds.map { $0 / 60 }), text(now.maxSeconds.map { $0 / 60 })),
                ("--clip", text(saved.clipNorm), text(now.clipNorm)), ("--validate-every", text(saved.validateEvery), text(now.validateEvery)),
                ("--patience", text(saved.earlyStoppingPatience), text(now.earlyStoppingPatience)),
                ("--select", saved.selectMetric ?? "loss", now.selectMetric ?? "loss"),
            ]
            for (option, before, after) in changes where before != after {
                notes.append("resume: \(option) \(before) in the resume file, \(after) now: applied")
            }
        }
        let scheduleChanged = saved.map { $0.schedule != now.schedule } ?? (p.scheduler.schedule != options.schedule)
        if scheduleChanged { notes.append("resume: --schedule changed to \(options.schedule): applied from step \(p.step + 1)") }
        if scheduleChanged || learningRateChanged {
            p.scheduler = LearningRateScheduler(schedule: options.schedule, baseRate: options.optimizer.learningRate)
        }
        if let s = options.budget.steps, p.step >= s { notes.append("resume: --steps \(s) was already reached at step \(p.step); nothing left to train") }
        if let e = options.budget.epochs, p.epoch >= e { notes.append("resume: --epochs \(e) were already done (\(p.epoch) epochs); nothing left to train") }
        if let t = options.budget.seconds, p.elapsedSeconds >= t {
            notes.append("resume: the \(Trainer.duration(t)) budget was already spent (\(Trainer.duration(p.elapsedSeconds))); nothing left to train")
        }
    }

    /// Throws a ``ConfigurationError`` naming the first field of a saved training state that cannot be right.
    static func validate(_ p: TrainingProgress) throws(ConfigurationError) {
        let counters = [p.step, p.epoch, p.batchIndex, p.skippedBatches, p.validationsWithoutImprovement, p.batchesPerEpoch ?? 1]
        if counters.contains(where: { $0 < 0 || $0 > 1 << 53 }) {
            throw .unmetRule(setting: "step \(p.step), epoch \(p.epoch), batch index \(p.batchIndex) and the other counts", expected: "must lie in 0...2^53")
        }
        if p.skippedBatches < 0 || p.skippedBatches > p.step {
            throw .unmetRule(setting: "skipped batches \(p.skippedBatches)", expected: "must lie in 0...\(p.step) (the step)")
        }
        if p.validationsWithoutImprovement < 0 { throw .unmetRule(setting: "validations without improvement", expected: "must not be negative") }
        if !(p.elapsedSeconds >= 0 && p.elapsedSeconds.isFinite) {
            throw .unmetRule(setting: "elapsed seconds \(p.elapsedSeconds)", expected: "must be a finite number, not negative")
        }
        if let b = p.batchesPerEpoch, b < 1 { throw .unmetRule(setting: "batches per epoch \(b)", expected: "must be at least 1") }
        for (name, v) in [("best loss", p.bestLoss), ("last loss", p.lastLoss)] {
            if let v, !v.isFinite { throw .unmetRule(setting: "\(name) \(v)", expected: "is not finite") }
        }
        if let s = p.bestScore, s.isNaN { throw .unmetRule(setting: "best score", expected: "is NaN") }
        let s = p.scheduler
        do { try s.schedule.validate() } catch { throw .unmetRule(setting: "learning-rate schedule:", expected: error.description) }
        if !(s.baseRate > 0 && s.baseRate.isFinite) { throw .unmetRule(setting: "learning rate \(s.baseRate)", expected: "must be a positive number") }
        if !(s.plateauScale > 0 && s.plateauScale <= 1) || s.plateauBad < 0 || s.plateauBest.map({ !$0.isFinite }) == true {
            throw .unmetRule(setting: "the plateau schedule's state (scale \(s.plateauScale), bad \(s.plateauBad))", expected: "is out of range")
        }
    }

    /// The fields of two configuration JSON objects that differ, as
    /// `field is X in the file, Y now` (nested fields by dotted path); never
    /// the whole object.
    static func difference(saved: String, asked: String) -> String {
        func object(_ s: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(s.utf8)) }
        func fields(_ a: Any?, _ b: Any?, _ path: String) -> [String] {
            if let x = a as? [String: Any], let y = b as? [String: Any] {
                return Set(x.keys).union(y.keys).sorted().flatMap { fields(x[$0], y[$0], path.isEmpty ? $0 : path + "." + $0) }
            }
            let x = a.map(json) ?? "absent", y = b.map(json) ?? "absent"
            return x == y ? [] : ["\(path.isEmpty ? "the configuration" : path) is \(x) in the file, \(y) now\(hint(path, saved: a, asked: b))"]
        }
        // As JSON writes it: `true`, not the `1` a Foundation boolean prints as.
        func json(_ value: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        // A language model saved before tying became the word-level default has no `tied` field.
        func hint(_ path: String, saved: Any?, asked: Any?) -> String {
            guard path == "tied" || path.hasSuffix(".tied") else { return "" }
            let savedTied = saved as? Bool ?? false, askedTied = asked as? Bool ?? false
            if savedTied == askedTied { return "" }
            return savedTied ? " (the file's output layer is tied: resume without --no-tie)"
                             : " (the file's output layer is not tied: resume with --no-tie)"
        }
        let found = fields(object(saved), object(asked), "")
        return found.isEmpty ? "the two configurations differ in their JSON text only" : found.joined(separator: "; ")
    }

    static func decodingProblem(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "'\(key.stringValue)' is missing"
        case let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c), let DecodingError.dataCorrupted(c):
            return (c.codingPath.map(\.stringValue).joined(separator: ".") + " " + c.debugDescription).trimmingCharacters(in: .whitespaces)
        default: return "\(error)"
        }
    }
}
