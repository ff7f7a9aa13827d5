import Foundation
import Testing
@testable import Recurrent

/// The shared training loop: exact resumption, non-finite losses, early
/// stopping, checkpoints that survive errors, and refusals before any work.
@Suite struct TrainerTests {
    static let text = String(repeating: "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ", count: 12)

    static func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-trainer-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func makeTask(seed: UInt64 = 3, cell: CellKind = .lstm, dropout: Float = 0.2) -> LanguageModelTask {
        let corpus = LanguageModelCorpus(train: text, valid: nil, level: .char)
        let config = LanguageModelConfig(level: .char, cell: cell, vocabularySize: corpus.vocabulary.count, embeddingSize: 8,
                                         hiddenSize: 16, layers: 2, dropout: dropout)
        var rng = SeededRNG(seed: seed)
        let model = LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng)
        return LanguageModelTask(model: model, train: corpus.train, valid: corpus.valid, batch: 4, seq: 8)
    }

    static func options(_ dir: String, steps: Int, validateEvery: Int = 5) -> TrainingOptions {
        var o = TrainingOptions(output: "\(dir)/model.safetensors", optimizer: OptimizerConfig(kind: .adam, learningRate: 1e-2))
        o.budget = TrainingBudget(steps: steps)
        o.validateEvery = validateEvery
        o.logEvery = 1000
        o.seed = 7
        return o
    }

    static func quiet(_ t: Trainer) -> Trainer { t.log = { _ in }; t.interactive = false; return t }

    @Test("2N steps in one go equal N steps, resume, N steps", arguments: [CellKind.lstm, .gru])
    func resumeContinuesExactly(cell: CellKind) throws {
        let dir = Self.tempDir()
        let straight = Self.makeTask(cell: cell)
        let straightReport = try Self.quiet(Trainer(task: straight, options: Self.options(dir, steps: 24))).run()
        #expect(straightReport.progress.step == 24)
        let first = Self.makeTask(cell: cell)
        let dirB = Self.tempDir()
        try Self.quiet(Trainer(task: first, options: Self.options(dirB, steps: 11))).run()
        // A fresh process would rebuild the model from scratch: different initial weights, same config.
        let resumed = Self.makeTask(seed: 99, cell: cell)
        let trainer = Self.quiet(try Trainer(task: resumed, options: Self.options(dirB, steps: 24)))
        try trainer.resume(from: TrainingOptions.resumePath(for: dirB + "/model.safetensors"))
        #expect(trainer.progress.step == 11)
        try trainer.run()
        for ((name, a), (_, b)) in zip(straight.parameters, resumed.parameters) {
            #expect(a.value.maxAbsDifference(b.value) <= 1e-6, "\(cell) \(name) differs after resume")
        }
    }

    @Test func nonFiniteLossStopsWithStepAndKeepsLastCheckpoint() throws {
        let dir = Self.tempDir()
        let task = PoisonedTask(Self.makeTask(), poisonAtStep: 8)
        let trainer = Self.quiet(try Trainer(task: task, options: Self.options(dir, steps: 20, validateEvery: 5)))
        do {
            try trainer.run()
            Issue.record("training went on through a NaN loss")
        } catch let TrainingError.nonFiniteLoss(step, last, checkpoint) {
            #expect(step == 9)
            #expect(last != nil && last!.isFinite)
            #expect(checkpoint == TrainingOptions.resumePath(for: dir + "/model.safetensors"))
        }
        // The checkpoints written at step 5 are intact and loadable.
        let model = try LanguageModel(contentsOf: dir + "/model.safetensors")
        #expect(model.namedParameters.allSatisfy { $0.parameter.value.scalars.allSatisfy(\.isFinite) })
        let resume = try Checkpoint.read(TrainingOptions.resumePath(for: dir + "/model.safetensors"))
        #expect(resume.metadata["training_state"]?.contains("\"step\":5") == true)
    }

    @Test func aSelectedFigureTheTaskDoesNotReportIsNeverTheBestAndTheRunResumes() throws {
        // A language model reports no accuracy: no validation may become "the best" by it (before: the first did,
        // every later one lost to -inf, and the -inf written to the resume file made it unreadable).
        let dir = Self.tempDir()
        var o = Self.options(dir, steps: 10, validateEvery: 5)
        o.selectMetric = "accuracy"
        let report = try Self.quiet(Trainer(task: Self.makeTask(), options: o)).run()
        #expect(report.progress.bestScore == nil && report.progress.bestLoss.map { $0.isFinite } == true)
        var resumed = Self.options(dir, steps: 12, validateEvery: 5)
        resumed.selectMetric = "accuracy"
        let again = Self.quiet(try Trainer(task: Self.makeTask(seed: 9), options: resumed))
        try again.resume(from: TrainingOptions.resumePath(for: dir + "/model.safetensors"))
        #expect(again.progress.step == 10)
        // Non-finite figures written by the checkpoint encoder read back as they were.
        #expect(try decodeCanonicalJSON([Double].self, from: canonicalJSON([-Double.infinity, .infinity, 1.5])) == [-.infinity, .infinity, 1.5])
    }

    @Test func skipNonFiniteCountsAndContinues() throws {
        let dir = Self.tempDir()
        let task = PoisonedTask(Self.makeTask(), poisonAtStep: 3, once: true)
        var o = Self.options(dir, steps: 10)
        o.skipNonFinite = true
        let report = try Self.quiet(Trainer(task: task, options: o)).run()
        #expect(report.progress.skippedBatches == 1)
        #expect(report.progress.step == 10)
    }

    @Test func earlyStoppingStopsWhenValidationStalls() throws {
        let dir = Self.tempDir()
        var o = Self.options(dir, steps: 100, validateEvery: 2)
        o.optimizer = OptimizerConfig(kind: .sgd, learningRate: 1e-30)   // the model cannot change
        o.earlyStoppingPatience = 3
        let report = try Self.quiet(Trainer(task: Self.makeTask(dropout: 0), options: o)).run()
        #expect(report.stop == .earlyStopping)
        #expect(report.progress.step == 8)        // best at step 2, then 3 validations without improvement
    }

    @Test func invalidOptionsAreRefusedBeforeAnyWork() {
        let task = Self.makeTask()
        var noBudget = Self.options(Self.tempDir(), steps: 1)
        noBudget.budget = TrainingBudget()
        #expect(throws: TrainingError.invalidOption("give a training budget: minutes, epochs or steps")) { try Trainer(task: task, options: noBudget) }
        var negative = Self.options(Self.tempDir(), steps: 1)
        negative.optimizer.learningRate = -1
        #expect(throws: TrainingError.invalidOption("learning rate must be a positive number, got -1.0")) { try Trainer(task: task, options: negative) }
        let missing = Self.options("/nonexistent-folder-for-tests", steps: 1)
        #expect(throws: OutputFileError.refused(path: "/nonexistent-folder-for-tests/model.safetensors", role: "the checkpoint",
                                                reason: "folder /nonexistent-folder-for-tests does not exist")) { try Trainer(task: task, options: missing) }
    }

    @Test(.enabled(if: getuid() != 0, "root writes anywhere: the check cannot fail as root"))
    func unwritableOutputFolderIsRefused() throws {
        let dir = Self.tempDir()
        let locked = dir + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        #expect(throws: TrainingError.self) { try Trainer(task: Self.makeTask(), options: Self.options(locked, steps: 1)) }
    }

    @Test func metricsAreJSONLines() throws {
        let dir = Self.tempDir()
        var o = Self.options(dir, steps: 6, validateEvery: 3)
        o.logEvery = 2
        o.metricsPath = dir + "/metrics.jsonl"
        try Self.quiet(Trainer(task: Self.makeTask(), options: o)).run()
        let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.contains { $0["valid_loss"] != nil } && objects.contains { $0["grad_norm"] != nil && $0["tokens_per_s"] != nil })
    }

    @Test func languageModelCheckpointRoundTrips() throws {
        let dir = Self.tempDir()
        let task = Self.makeTask()
        try Self.quiet(Trainer(task: task, options: Self.options(dir, steps: 5))).run()
        let loaded = try LanguageModel(contentsOf: dir + "/model.safetensors")
        #expect(loaded.config == task.model.config && loaded.vocabulary == task.model.vocabulary)
        let a = task.model.evaluate(task.valid!), b = loaded.evaluate(task.valid!)
        #expect(a.loss == b.loss)
    }

    @Test func badCheckpointsGetClearErrors() throws {
        let dir = Self.tempDir()
        let model = Self.makeTask().model
        let good: [(name: String, tensor: Tensor)] = model.namedParameters.map { ($0.name, $0.parameter.value) }
        func write(_ tensors: [(name: String, tensor: Tensor)], kind: String = LanguageModel.kind, config: String? = nil) throws -> String {
            let path = dir + "/\(UUID().uuidString).safetensors"
            try Checkpoint.write(kind: kind, config: config ?? model.configJSON, vocabulary: model.vocabulary.tokens, tensors: tensors, to: path)
            return path
        }
        let missing = try write(Array(good.dropLast()))
        #expect(throws: CheckpointError.missingTensor(path: missing, name: "head.bias")) { try LanguageModel(contentsOf: missing) }
        let extra = try write(good + [("rnn.weight_ih_l5", Tensor.zeros([1]))])
        #expect(throws: CheckpointError.unexpectedTensor(path: extra, name: "rnn.weight_ih_l5")) { try LanguageModel(contentsOf: extra) }
        let wrongShape = try write(good.map { $0.name == "head.bias" ? ($0.name, Tensor.zeros([3])) : $0 })
        #expect(throws: CheckpointError.shapeMismatch(path: wrongShape, name: "head.bias", expected: [model.config.vocabularySize], found: [3])) {
            try LanguageModel(contentsOf: wrongShape)
        }
        let nan = try write(good.map { $0.name == "head.bias" ? ($0.name, Tensor(shape: $0.tensor.shape, repeating: .nan)) : $0 })
        #expect(throws: CheckpointError.nonFinite(path: nan, name: "head.bias")) { try LanguageModel(contentsOf: nan) }
        let otherKind = try write(good, kind: "sequence_classifier")
        #expect(throws: CheckpointError.wrongKind(path: otherKind, found: "sequence_classifier", expected: "language_model")) {
            try LanguageModel(contentsOf: otherKind)
        }
        let badConfig = try write(good, config: "{\"cell\": 3}")
        #expect(throws: CheckpointError.self) { try LanguageModel(contentsOf: badConfig) }
        // A truncated file: the first half of a good one.
        let truncated = dir + "/truncated.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: missing))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: SafeTensorsError.self) { try LanguageModel(contentsOf: truncated) }
    }

    @Test func helloLanguageModelSamplesHello() throws {
        let corpus = LanguageModelCorpus(train: "hello", valid: "", level: .char)
        let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: corpus.vocabulary.count, embeddingSize: 8,
                                         hiddenSize: 16, layers: 1, dropout: 0)
        var rng = SeededRNG(seed: 1)
        let model = LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng)
        let task = LanguageModelTask(model: model, train: corpus.train, valid: nil, batch: 1, seq: 4)
        var o = Self.options(Self.tempDir(), steps: 150)
        o.optimizer.learningRate = 0.02
        try Self.quiet(Trainer(task: task, options: o)).run()
        var out = ""
        var sampler = SeededRNG(seed: 1)
        model.generate(prime: try model.encode("h"), length: 4, options: SamplingOptions(argmax: true), rng: &sampler) {
            out += model.vocabulary.token($0)
        }
        #expect("h" + out == "hello")
        #expect(throws: DataError.unknownSymbol(text: "hex", symbol: "x")) { try model.encode("hex") }
    }
}

/// Delegates to a real task, but sets the embedding weights to NaN for batch
/// number `poisonAtStep + 1` (and after it, unless `once`) so the real forward
/// pass yields a NaN loss.
final class PoisonedTask: TrainingTask {
    let inner: LanguageModelTask
    let poisonAt: Int
    let once: Bool
    var calls = 0

    init(_ inner: LanguageModelTask, poisonAtStep: Int, once: Bool = false) {
        self.inner = inner
        self.poisonAt = poisonAtStep
        self.once = once
    }

    var parameters: [(name: String, parameter: Parameter)] { inner.parameters }
    var batchesPerEpoch: Int { inner.batchesPerEpoch }
    var unit: String { inner.unit }
    var hasValidationData: Bool { inner.hasValidationData }
    var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) { inner.checkpointDescription }
    func startEpoch(_ epoch: Int, seed: UInt64) { inner.startEpoch(epoch, seed: seed) }
    func validationResult() -> (loss: Double, metrics: [String: Double])? { inner.validationResult() }

    func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        calls += 1
        let weight = inner.model.embedding.weight
        let healthy = weight.value
        if calls == poisonAt + 1 { weight.value = Tensor(shape: healthy.shape, repeating: .nan) }
        let r = inner.trainBatch(index, rng: &rng)
        if once && calls == poisonAt + 1 {
            weight.value = healthy
            inner.restart()                 // the NaN state must not be carried on
        }
        return r
    }
}
