import Foundation
import Testing
@testable import Recurrent

/// Data-parallel training: the in-process communicator, the gradient reducer,
/// and N ranks with B/N examples each computing what one process with B does.
@Suite struct DistributedTests {
    // MARK: The in-process communicator

    @Test func allReduceSumsInRankOrderAndBroadcastCopiesTheRoot() throws {
        let results = LocalCommunicator.run(size: 3) { comm -> [Float] in
            var values: [Float] = [Float(comm.rank) + 0.5, 1e8, Float(comm.rank) * -2]
            try comm.allReduceSum(&values)
            var fromRoot: [Float] = [Float(comm.rank), Float(comm.rank)]
            try comm.broadcast(&fromRoot, root: 2)
            try comm.barrier()
            return values + fromRoot
        }
        for r in results {
            let v = try r.get()
            // ((0.5 + 1.5) + 2.5), (1e8 + 1e8) + 1e8 in that order, and rank 2's values.
            #expect(v == [4.5, Float(2e8) + Float(1e8), -6, 2, 2])
        }
    }

    @Test func aThrowingRankStopsEveryOtherRankWithAnError() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "cannot read shard.txt" } }
        let start = Date()
        let results = LocalCommunicator.run(size: 3, timeout: 30) { comm -> Int in
            if comm.rank == 1 { throw Broken() }
            var x = [1.0]
            try comm.allReduceSum(&x)
            return 0
        }
        #expect(Date().timeIntervalSince(start) < 10, "the others must not wait for the timeout")
        for (rank, r) in results.enumerated() {
            #expect(throws: (any Error).self) { try r.get() }
            if rank != 1, case .failure(let e) = r {
                #expect("\(e)".contains("rank 1 failed: cannot read shard.txt"), "rank \(rank): \(e)")
            }
        }
    }

    @Test func aRankThatNeverArrivesTimesOutEveryRank() throws {
        let results = LocalCommunicator.run(size: 3, timeout: 0.3) { comm -> Int in
            if comm.rank == 2 { return 2 }          // leaves without calling the collective
            try comm.barrier()
            return comm.rank
        }
        #expect(try results[2].get() == 2)
        let messages = results.prefix(2).map { r -> String in
            if case .failure(let e) = r { return "\(e)" }
            return "no error"
        }
        #expect(messages.contains { $0.contains("timed out") && $0.contains("waiting for rank 2") }, "\(messages)")
        #expect(messages.allSatisfy { $0.contains("rank 2") }, "\(messages)")
    }

    @Test func differentOperationsOnTheRanksAreAMismatch() {
        let results = LocalCommunicator.run(size: 2, timeout: 5) { comm -> Int in
            var x = [Float](repeating: 1, count: comm.rank + 1)
            try comm.allReduceSum(&x)
            return 0
        }
        for r in results { #expect(throws: (any Error).self) { try r.get() } }
    }

    @Test func aRankThatCannotReadItsDataStopsAllWithItsNumber() {
        struct Unreadable: Error, CustomStringConvertible { var description: String { "data.txt: permission denied" } }
        let results = LocalCommunicator.run(size: 3, timeout: 5) { comm -> Int in
            try comm.together("read the data") { () throws -> Int in
                if comm.rank == 2 { throw Unreadable() }
                return 1
            }
        }
        let messages = results.map { r -> String in if case .failure(let e) = r { return "\(e)" }; return "no error" }
        #expect(messages[2] == "data.txt: permission denied")
        #expect(messages[0].contains("rank 2 could not read the data"), "\(messages[0])")
        #expect(messages[1].contains("rank 2 could not read the data"), "\(messages[1])")
    }

    @Test func aDifferentConfigurationHashStopsEveryRank() {
        let results = LocalCommunicator.run(size: 3, timeout: 5) { comm -> Int in
            try comm.requireSameHash(configurationHash(comm.rank == 1 ? "rnn 0.2 --hidden 64" : "rnn 0.1 --hidden 64"), of: "the configuration hash")
            return 0
        }
        for r in results {
            if case .failure(let e) = r { #expect("\(e)".contains("rank 1 ("), "\(e)") } else { Issue.record("a rank went on") }
        }
    }

    // MARK: N ranks equal one process

    static let text = TrainerTests.text

    static func lmTask(seed: UInt64, batch: Int, dropout: Float = 0) -> LanguageModelTask {
        let corpus = LanguageModelCorpus(train: text, valid: nil, level: .char)
        let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: corpus.vocabulary.count, embeddingSize: 8,
                                         hiddenSize: 12, layers: 2, dropout: dropout)
        var rng = SeededRNG(seed: seed)
        return LanguageModelTask(model: LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng),
                                 train: corpus.train, valid: corpus.valid, batch: batch, seq: 6)
    }

    /// SGD with momentum: Adam divides each gradient by its own running size,
    /// so an element whose gradient nearly cancels over the batch (summed in
    /// another order on one process) can differ by more than 1e-6 relative.
    static func options(_ dir: String, steps: Int, clip: Float? = 0.3) -> TrainingOptions {
        var o = TrainerTests.options(dir, steps: steps, validateEvery: 1000)
        o.optimizer = OptimizerConfig(kind: .sgd, learningRate: 0.5)
        o.optimizer.momentum = 0.9
        o.clipNorm = clip
        return o
    }

    /// Trains `makeTask(rank)` on `size` in-process ranks; returns each rank's parameters.
    static func trainRanks(size: Int, steps: Int, dir: String, resume: Bool = false,
                           _ makeTask: @escaping @Sendable (Int) -> any TrainingTask) -> [Result<[[Float]], Error>] {
        LocalCommunicator.run(size: size) { comm in
            let task = makeTask(comm.rank)
            let d = try DistributedTraining(task: task, communicator: comm)
            try d.start(configuration: "test")
            let trainer = TrainerTests.quiet(try Trainer(task: task, options: options(dir, steps: steps), distributed: d))
            if resume { try trainer.resume(from: TrainingOptions.resumePath(for: dir + "/model.safetensors")) }
            try trainer.run()
            try d.requireEqualParameters()
            return task.parameters.map(\.parameter.value.scalars)
        }
    }

    static func expectClose(_ a: [[Float]], _ b: [[Float]], names: [String], _ what: String) {
        for (k, (x, y)) in zip(a, b).enumerated() {
            let scale = y.map { abs($0) }.max() ?? 0
            let diff = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            #expect(diff <= 1e-6 * max(scale, 1e-3), "\(what): \(names[k]) differs by \(diff) (scale \(scale))")
        }
    }

    @Test("N ranks of B/N streams equal one process of B streams after k steps (clipped, SGD with momentum)", arguments: [2, 4])
    func languageModelRanksEqualOneProcess(size: Int) throws {
        let steps = 4
        let single = Self.lmTask(seed: 3, batch: 4)
        try TrainerTests.quiet(Trainer(task: single, options: Self.options(TrainerTests.tempDir(), steps: steps))).run()
        // Each rank starts from its own random weights: rank 0's are broadcast.
        let ranks = Self.trainRanks(size: size, steps: steps, dir: TrainerTests.tempDir()) { Self.lmTask(seed: 3 + UInt64($0), batch: 4) }
        let expected = single.parameters.map(\.parameter.value.scalars)
        let first = try ranks[0].get()
        for r in ranks { #expect(try r.get() == first, "ranks must be bitwise equal") }
        Self.expectClose(first, expected, names: single.parameters.map(\.name), "\(size) ranks")
    }

    @Test("the ranks' shares of the LM's validation streams add up to one process's validation", arguments: [2, 3])
    func languageModelValidationIsSplitAmongTheRanks(size: Int) throws {
        let whole = Self.lmTask(seed: 3, batch: 12)
        let single = whole.validationResult()!, tokens = Double(whole.model.evaluate(whole.valid!).tokens)
        let results = LocalCommunicator.run(size: size) { comm -> [Double] in
            let task = Self.lmTask(seed: 3, batch: 12)
            let d = try DistributedTraining(task: task, communicator: comm)
            var sums = try #require(task.validationSums())
            let mine = sums[1]
            try d.communicator.allReduceSum(&sums)
            let v = task.validation(fromSums: sums)
            return [v.loss, v.metrics["bits_per_char"] ?? .nan, mine, sums[1]]
        }
        #expect(try results.map { try $0.get()[2] }.reduce(0, +) == tokens, "each token validated by exactly one rank")
        for r in results {
            let v = try r.get()
            #expect(v[2] < tokens && v[3] == tokens)
            #expect(abs(v[0] - single.loss) <= 1e-6 * single.loss, "\(v[0]) vs \(single.loss)")
            #expect(abs(v[1] - single.metrics["bits_per_char"]!) <= 1e-6 * single.metrics["bits_per_char"]!)
        }
    }

    @Test func classifierWithRaggedLengthsSplitByTokensEqualsOneProcess() throws {
        let texts = ["good film", "bad film very very bad", "not good film", "not bad", "very good plot indeed not bad at all", "bad",
                     "good plot", "not very good film", "plot", "film not good not good"]
        let labels = ["pos", "neg", "neg", "pos", "pos", "neg", "pos", "neg", "neg", "neg"]
        let examples = zip(texts, labels).enumerated().map { LabeledText(text: $1.0, label: $1.1, path: "toy", line: $0 + 1) }
        @Sendable func task(_ seed: UInt64) -> ClassificationTask<SequenceClassifier> {
            let model = ClassificationTests.classifier(.mean, bidirectional: true, seed: seed)
            return ClassificationTask(model: model, train: try! model.encode(examples), valid: nil, batch: 5)
        }
        let single = task(1)
        try TrainerTests.quiet(Trainer(task: single, options: Self.options(TrainerTests.tempDir(), steps: 4))).run()
        let ranks = Self.trainRanks(size: 2, steps: 4, dir: TrainerTests.tempDir()) { task(1 + UInt64($0)) }
        let first = try ranks[0].get()
        #expect(try ranks[1].get() == first)
        Self.expectClose(first, single.parameters.map(\.parameter.value.scalars), names: single.parameters.map(\.name), "classifier")
    }

    @Test func taggerWithPaddedSentencesSplitByWordsEqualsOneProcess() throws {
        let sentences = [["the", "dog", "runs"], ["a", "cat"], ["the", "unseen", "sleeps", "dog", "a", "cat"], ["dog"],
                         ["the", "cat", "sleeps"], ["a", "dog", "runs", "the", "cat", "sleeps", "a", "dog"]]
        let tags = [[0, 1, 2], [0, 1], [0, 1, 2, 1, 0, 1], [1], [0, 1, 2], [0, 1, 2, 0, 1, 2, 0, 1]]
        @Sendable func task() -> TaggingTask {
            TaggingTask(model: ClassificationTests.tagger(chars: true), train: (sentences, tags), valid: nil, batch: 3)
        }
        let single = task()
        try TrainerTests.quiet(Trainer(task: single, options: Self.options(TrainerTests.tempDir(), steps: 4))).run()
        let ranks = Self.trainRanks(size: 3, steps: 4, dir: TrainerTests.tempDir()) { _ in task() }
        let first = try ranks[0].get()
        for r in ranks { #expect(try r.get() == first) }
        Self.expectClose(first, single.parameters.map(\.parameter.value.scalars), names: single.parameters.map(\.name), "tagger")
    }

    @Test func tokenBalancedShareCutsABatchContiguouslyByLength() {
        let batcher = LengthBatcher(lengths: [10, 1, 1, 1, 1, 6], batchSize: 6)
        let batch = [0, 1, 2, 3, 4, 5]
        let shares = (0..<2).map { batcher.share(of: batch, rank: $0, size: 2) }
        #expect(shares == [[0], [1, 2, 3, 4, 5]])
        #expect((0..<4).flatMap { batcher.share(of: batch, rank: $0, size: 4) } == batch)
    }

    @Test func eachRankDrawsItsOwnDropoutMasksAndTheRanksStayEqual() throws {
        let draws = LocalCommunicator.run(size: 2) { comm -> [UInt64] in
            let d = try DistributedTraining(task: Self.lmTask(seed: 3, batch: 4), communicator: comm)
            var a = d.stepRNG(seed: 7, step: 5), again = d.stepRNG(seed: 7, step: 5), next = d.stepRNG(seed: 7, step: 6)
            return [a.next(), again.next(), next.next()]
        }
        let r0 = try draws[0].get(), r1 = try draws[1].get()
        #expect(r0[0] == r0[1] && r1[0] == r1[1], "a step's generator is a function of seed, step and rank (resumable)")
        #expect(r0[0] != r1[0] && r0[0] != r0[2], "ranks and steps draw differently")
        let ranks = Self.trainRanks(size: 2, steps: 3, dir: TrainerTests.tempDir()) { Self.lmTask(seed: 3 + UInt64($0), batch: 4, dropout: 0.3) }
        #expect(try ranks[0].get() == ranks[1].get(), "different masks, same summed gradients: equal parameters")
    }

    // MARK: The reducer

    @Test func bucketsGoOutputLayerFirstThenEachLayerDownToTheEmbedding() throws {
        let results = LocalCommunicator.run(size: 2) { comm -> [[String]] in
            let task = Self.lmTask(seed: 3, batch: 4)
            let d = try DistributedTraining(task: task, communicator: comm)
            d.reducer.beginStep()
            var rng = SeededRNG(seed: 1)
            let r = task.trainBatch(0, rng: &rng)
            _ = try d.reducer.finish(loss: r.loss, count: r.count)
            return d.reducer.bucketOrder
        }
        let order = try results[0].get()
        #expect(order == [["head.weight", "head.bias"],
                          ["rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"],
                          ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"],
                          ["embedding.weight"]])
        #expect(try results[1].get() == order)
    }

    @Test func aBatchThatDoesNotDivideAmongTheRanksIsRefusedOnEvery() {
        let results = LocalCommunicator.run(size: 3, timeout: 5) { comm -> Int in
            _ = try DistributedTraining(task: Self.lmTask(seed: 3, batch: 4), communicator: comm)
            return 0
        }
        for r in results {
            if case .failure(let e) = r { #expect("\(e)".contains("--batch 4 does not divide among 3 ranks"), "\(e)") } else { Issue.record("went on") }
        }
    }

    // MARK: Checkpoints and resume

    @Test func resumedRanksContinueExactlyAndAnotherWorldSizeIsRefused() throws {
        let straightDir = TrainerTests.tempDir(), dir = TrainerTests.tempDir()
        let straight = try Self.trainRanks(size: 2, steps: 6, dir: straightDir) { _ in Self.lmTask(seed: 3, batch: 4) }[0].get()
        _ = try Self.trainRanks(size: 2, steps: 3, dir: dir) { _ in Self.lmTask(seed: 3, batch: 4) }[0].get()
        let resumePath = TrainingOptions.resumePath(for: dir + "/model.safetensors")
        // Rank 0 wrote the resume file with the carried state of all streams.
        let saved = try Checkpoint.read(resumePath)
        #expect(saved.metadata["world_size"] == "2")
        #expect(saved.tensors["carried.h"]?.shape == [2, 4, 12])
        let resumed = try Self.trainRanks(size: 2, steps: 6, dir: dir, resume: true) { _ in Self.lmTask(seed: 9, batch: 4) }[0].get()
        #expect(resumed == straight)

        let single = TrainerTests.quiet(try Trainer(task: Self.lmTask(seed: 3, batch: 4), options: Self.options(dir, steps: 9)))
        #expect { try single.resume(from: resumePath) } throws: { error in
            "\(error)".contains("written by a run on 2 ranks, this run has 1")
        }
    }
}
