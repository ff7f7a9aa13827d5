import Foundation
import Testing
@testable import Recurrent

/// The training loop's pieces: the stop request, the budget, 1-based epochs,
/// what the checkpoints and the metrics file say, the progress display,
/// resuming a finished run, and starting from another model's weights.
@Suite struct TrainingLoopTests {
    /// A language-model task with a validation split.
    static func task(hidden: Int = 16, seed: UInt64 = 3) -> LanguageModelTask {
        let corpus = LanguageModelCorpus(train: TrainerTests.text, valid: String(TrainerTests.text.prefix(200)), level: .char)
        let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: corpus.vocabulary.count, embeddingSize: 8,
                                         hiddenSize: hidden, layers: 1, dropout: 0)
        var rng = SeededRNG(seed: seed)
        let model = LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng)
        return LanguageModelTask(model: model, train: corpus.train, valid: corpus.valid, batch: 4, seq: 8)
    }

    static func json(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func aStopRequestWritesTheCheckpointWithoutAValidationPass() throws {
        let dir = TrainerTests.tempDir()
        var o = TrainerTests.options(dir, steps: 1000, validateEvery: 0)      // validation only at the end of an epoch
        o.metricsPath = dir + "/m.jsonl"
        let trainer = TrainerTests.quiet(try Trainer(task: Self.task(), options: o))
        var asked = 0
        trainer.stopRequested = { asked += 1; return asked > 3 }
        let report = try trainer.run()
        #expect(report.stop == .interrupted && report.progress.step == 3)
        #expect(report.lastValidationLoss == nil, "no validation pass before the checkpoint")
        #expect(try Self.json(dir + "/m.jsonl").allSatisfy { $0["valid_loss"] == nil })
        let resume = try Checkpoint.read(TrainingOptions.resumePath(for: o.output))
        let state = try JSONDecoder().decode(TrainingProgress.self, from: Data((resume.metadata["training_state"] ?? "").utf8))
        #expect(state.step == 3)
        // No validation has chosen a best model yet, so the model file is the current one.
        let model = try Checkpoint.read(o.output)
        #expect(model.metadata["step"] == "3" && model.metadata["valid_loss"] == nil)
    }

    @Test func epochsAreOneBasedOnScreenInMetricsAndCheckpoints() throws {
        let dir = TrainerTests.tempDir()
        let task = Self.task()
        var o = TrainerTests.options(dir, steps: 1, validateEvery: 0)
        o.budget = TrainingBudget(epochs: 1)
        o.metricsPath = dir + "/m.jsonl"
        o.logEvery = 1
        var lines: [String] = []
        let trainer = try Trainer(task: task, options: o)
        trainer.interactive = false
        trainer.log = { lines.append($0) }
        let report = try trainer.run()
        #expect(report.progress.step == task.batchesPerEpoch && report.epochsDescription == "1 epoch")
        let records = try Self.json(dir + "/m.jsonl")
        #expect(!records.isEmpty && records.allSatisfy { $0["epoch"] as? Double == 1 }, "\(records.map { $0["epoch"] ?? "none" })")
        #expect(lines.contains { $0.hasPrefix("step \(task.batchesPerEpoch)  epoch 1  valid loss") }, "\(lines)")
        #expect(lines.allSatisfy { !$0.contains("epoch 0") && !$0.contains("epoch 2") }, "\(lines)")
        #expect(try Checkpoint.read(o.output).metadata["epoch"] == "1")
        var partial = report
        partial.progress.epoch = 0
        partial.progress.batchIndex = task.batchesPerEpoch / 2
        partial.progress.batchesPerEpoch = task.batchesPerEpoch
        #expect(partial.epochsDescription == "epoch 1, 50% through")
    }

    @Test func theModelsStepAndValidationFiguresDescribeTheSameModel() throws {
        let dir = TrainerTests.tempDir()
        var o = TrainerTests.options(dir, steps: 40, validateEvery: 4)
        o.metricsPath = dir + "/m.jsonl"
        try TrainerTests.quiet(Trainer(task: Self.task(), options: o)).run()
        let validations = try Self.json(dir + "/m.jsonl").filter { $0["valid_loss"] != nil }
        let saved = try Checkpoint.read(o.output).metadata
        let best = try #require(validations.min { ($0["valid_loss"] as? Double ?? 0) < ($1["valid_loss"] as? Double ?? 0) })
        #expect(saved["step"] == String(Int(best["step"] as? Double ?? -1)))
        func same(_ key: String) -> Bool {
            guard let a = saved[key].flatMap(Double.init), let b = best[key] as? Double else { return false }
            return abs(a - b) <= 1e-12 * abs(b)     // JSON parsing may round the last digit
        }
        #expect(same("valid_loss") && same("valid_bits_per_char"), "\(saved) \(best)")
    }

    @Test func metricsLinesHaveATimestampAndOneKeyPerMeaning() throws {
        let dir = TrainerTests.tempDir()
        var o = TrainerTests.options(dir, steps: 6, validateEvery: 3)
        o.metricsPath = dir + "/m.jsonl"
        o.logEvery = 2
        let before = Date().timeIntervalSince1970
        try TrainerTests.quiet(Trainer(task: Self.task(), options: o)).run()
        let records = try Self.json(dir + "/m.jsonl")
        #expect(records.count == 6, "training lines at steps 1, 2, 4, 6 and validations at 3 and 6: \(records)")
        for r in records {
            let t = r["timestamp"] as? Double ?? 0
            #expect(t >= before - 1 && t <= Date().timeIntervalSince1970 + 1, "\(r)")
            #expect(r["bits_per_char"] == nil && r["accuracy"] == nil, "validation figures carry valid_: \(r)")
        }
        #expect(records.filter { $0["loss"] != nil }.allSatisfy { $0["tokens_per_s"] != nil && $0["examples_per_s"] == nil })
        #expect(records.filter { $0["valid_loss"] != nil }.allSatisfy { $0["valid_bits_per_char"] != nil })
        // The plot reads them: valid_bits_per_char is charted as the validation curve of bits_per_char.
        let names = try MetricsLog(contentsOf: dir + "/m.jsonl").metricNames
        #expect(names.contains("valid_bits_per_char") && !names.contains("timestamp"), "\(names)")
    }

    @Test func theBudgetRulesAreOneSetNamedByTheCaller() {
        #expect(validationMessage(try TrainingBudget().validate()) == "give a training budget: minutes, epochs or steps")
        #expect(validationMessage(try TrainingBudget().validate(names: .options)) == "give a training budget: --minutes, --epochs or --steps")
        #expect(validationMessage(try TrainingBudget(epochs: 0).validate(names: .options)) == "--epochs must be at least 1, got 0")
        #expect(validationMessage(try TrainingBudget(steps: -2).validate()) == "steps must be at least 1, got -2")
        #expect(validationMessage(try TrainingBudget(minutes: .nan).validate(names: .options)) == "--minutes must be positive and at most 525600.0 (a year), got nan")
        #expect(validationMessage(try TrainingBudget(epochs: 2, steps: 5, minutes: 1).validate()) == nil)
        var p = TrainingProgress(rngState: [], scheduler: LearningRateScheduler(schedule: .constant, baseRate: 1))
        let budget = TrainingBudget(epochs: 2, steps: 100)
        p.epoch = 1
        p.batchIndex = 5
        #expect(budget.fraction(p, elapsed: 0, batchesPerEpoch: 10) == 0.75)
        #expect(!budget.isSpent(p, elapsed: 1e9))
        p.step = 100
        #expect(budget.isSpent(p, elapsed: 0))
        #expect(TrainingBudget(minutes: 1).isSpent(p, elapsed: 60) && !TrainingBudget(minutes: 1).isSpent(p, elapsed: 59))
    }

    @Test func theStatusLineFitsTheTerminalAndRedrawsWithTheClock() throws {
        let fields: [(text: String, priority: Int)] = [("[##########..........]", 2), ("step 1200", 9), ("epoch 3 41%", 8), ("loss 1.2345", 7),
                                                        ("valid loss 1.3000", 6), ("lr 2.00e-03", 1), ("|g| 0.53", 0), ("51234 tokens/s", 3),
                                                        ("12m05s", 5), ("eta 1h03m", 4)]
        for width in [20, 40, 60, 80, 200] {
            let line = ProgressDisplay.fit(fields, width: width)
            #expect(line.count < max(width, 11), "\(width): \(line)")
            #expect(line.contains(width >= 40 ? "step 1200  epoch 3 41%" : "step 1200"), "\(width): \(line)")
        }
        #expect(ProgressDisplay.fit(fields, width: 80) == "step 1200  epoch 3 41%  loss 1.2345  valid loss 1.3000  12m05s  eta 1h03m",
                "the lowest priorities go first")
        // On a terminal the line is redrawn by the clock, with no new step.
        let drawn = Drawn()
        let display = ProgressDisplay(interactive: true, log: { _ in }, width: { 80 }, budgetSeconds: nil)
        display.draw = { drawn.append($0) }
        display.update { $0.step = 7; $0.loss = 2; $0.validatingSince = Date() }
        display.start()
        let deadline = Date().addingTimeInterval(10)
        while drawn.count < 4 && Date() < deadline { usleep(20_000) }
        display.stop()
        #expect(drawn.count >= 4, "redraws without updates: \(drawn.count)")
        #expect(drawn.texts.allSatisfy { $0 == "\n" || ($0.hasPrefix("\r") && $0.contains("step 7") && $0.contains("validating")) })
        #expect(drawn.texts.last == "\n", "the last status line stays on screen")
    }

    @Test func resumingAFinishedRunTrainsAndWritesNothing() throws {
        let dir = TrainerTests.tempDir()
        let o = TrainerTests.options(dir, steps: 4, validateEvery: 2)
        try TrainerTests.quiet(Trainer(task: Self.task(), options: o)).run()
        let before = try Data(contentsOf: URL(fileURLWithPath: TrainingOptions.resumePath(for: o.output)))
        let trainer = TrainerTests.quiet(try Trainer(task: Self.task(), options: o))
        var notes: [String] = []
        trainer.log = { notes.append($0) }
        try trainer.resume(from: TrainingOptions.resumePath(for: o.output))
        let report = try trainer.run()
        #expect(report.stop == .alreadyDone && report.progress.step == 4)
        #expect(notes.contains("resume: --steps 4 was already reached at step 4; nothing left to train"), "\(notes)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: TrainingOptions.resumePath(for: o.output))) == before)
    }

    @Test func initialisingFromACheckpointCopiesTheWeightsOnly() throws {
        let dir = TrainerTests.tempDir()
        let first = Self.task()
        try TrainerTests.quiet(Trainer(task: first, options: TrainerTests.options(dir, steps: 5))).run()
        let dirB = TrainerTests.tempDir()
        let second = Self.task(seed: 99)
        let trainer = TrainerTests.quiet(try Trainer(task: second, options: TrainerTests.options(dirB, steps: 3)))
        let said = try trainer.initialize(from: dir + "/model.safetensors")
        #expect(said.contains("initialised the weights from \(dir)/model.safetensors (step 5 of its run)"), "\(said)")
        let saved = try Checkpoint.read(dir + "/model.safetensors")
        for (name, p) in second.parameters { #expect(p.value == saved.tensors[name], "\(name)") }
        #expect(trainer.progress.step == 0)
        let report = try trainer.run()
        #expect(report.progress.step == 3, "a new step count and budget")
        let other = TrainerTests.quiet(try Trainer(task: Self.task(hidden: 8), options: TrainerTests.options(TrainerTests.tempDir(), steps: 3)))
        #expect(throws: TrainingError.initMismatch(path: dir + "/model.safetensors",
                                                  reason: "its model differs from the one asked for: hiddenSize is 16 in the file, 8 now")) {
            try other.initialize(from: dir + "/model.safetensors")
        }
    }

    @Test func aChangedConfigurationIsNamedFieldByField() {
        #expect(Trainer.difference(saved: #"{"a":1,"b":{"c":2,"d":3}}"#, asked: #"{"a":1,"b":{"c":2,"d":4},"e":"x"}"#)
                == #"b.d is 3 in the file, 4 now; e is absent in the file, "x" now"#)
        // Booleans as JSON writes them, and the way back for a model saved before tying became the default.
        #expect(Trainer.difference(saved: #"{"f":false}"#, asked: #"{"f":true}"#) == "f is false in the file, true now")
        #expect(Trainer.difference(saved: #"{"h":8}"#, asked: #"{"h":8,"tied":true}"#)
                == "tied is absent in the file, true now (the file's output layer is not tied: resume with --no-tie)")
        #expect(Trainer.difference(saved: #"{"tied":true}"#, asked: #"{}"#)
                == "tied is true in the file, absent now (the file's output layer is tied: resume without --no-tie)")
        #expect(Trainer.difference(saved: #"{"a":1}"#, asked: #"{ "a": 1 }"#) == "the two configurations differ in their JSON text only")
        #expect(!Trainer.difference(saved: "not json", asked: #"{"a":1}"#).contains("not json"))
    }
}

/// What a display drew, collected from its ticker thread.
final class Drawn: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [String] = []
    func append(_ s: String) { lock.withLock { all.append(s) } }
    var texts: [String] { lock.withLock { all } }
    var count: Int { texts.count }
}
