import Foundation
import Testing
@testable import Recurrent

/// The encoder-decoder: gradients, decoding, a task learned end to end, checkpoints.
@Suite struct Seq2SeqTests {
    static let symbols = ["a", "b", "c", "d", "e", "f", "g", "h"]

    static func vocabulary(_ words: [String]) -> Vocabulary { Vocabulary(tokens: Seq2Seq.specials + words) }

    static func model(cell: CellKind = .gru, attention: AttentionScore = .general, inputFeeding: Bool = false,
                      hidden: Int = 6, dropout: Float = 0, tied: Bool = false, seed: UInt64 = 1) -> Seq2Seq {
        let v = vocabulary(symbols)
        let config = Seq2SeqConfig(cell: cell, lowercase: false, sourceVocabularySize: v.count, targetVocabularySize: v.count,
                                   embeddingSize: tied ? hidden : 5, encoderHiddenSize: hidden / 2 == 0 ? 1 : hidden / 2, encoderLayers: 2,
                                   decoderHiddenSize: hidden, decoderLayers: 2, attention: attention, attentionSize: 4,
                                   inputFeeding: inputFeeding, dropout: dropout, tiedEmbeddings: tied)
        var rng = SeededRNG(seed: seed)
        return Seq2Seq(config: config, source: v, target: v, rng: &rng)
    }

    /// Random sequences of symbol words, lengths in `lengths`.
    static func sequences(_ n: Int, lengths: ClosedRange<Int>, seed: UInt64) -> [[String]] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in
            (0..<(lengths.lowerBound + Int(rng.nextUnitFloat() * Float(lengths.count)) % lengths.count)).map { _ in
                symbols[Int(rng.nextUnitFloat() * Float(symbols.count)) % symbols.count]
            }
        }
    }

    @Test("every parameter's gradient matches central differences",
          arguments: [(CellKind.lstm, AttentionScore.general, false, false), (.gru, .additive, true, false), (.lstm, .dot, true, false),
                      (.gru, .dot, false, true), (.lstm, .general, true, true)])
    func gradientsMatchFiniteDifferences(cell: CellKind, attention: AttentionScore, inputFeeding: Bool, tied: Bool) {
        let m = Self.model(cell: cell, attention: attention, inputFeeding: inputFeeding, tied: tied)
        #expect(m.namedParameters.contains { $0.name == "head.weight" } == !tied)
        #expect(m.config.parameterCount == m.parameterCount)
        let src = Self.sequences(3, lengths: 1...4, seed: 2).map(m.sourceIDs)
        let tgt = Self.sequences(3, lengths: 1...3, seed: 3).map(m.targetIDs)
        func loss() -> Double {
            var rng = SeededRNG(seed: 0)
            let r = m.loss(sources: src, targets: tgt, rng: &rng)
            return r.loss * Double(r.count)
        }
        m.zeroGradients()
        var rng = SeededRNG(seed: 0)
        let r = m.loss(sources: src, targets: tgt, training: true, rng: &rng)
        // loss averages; scale the gradients to the summed loss that `loss()` measures.
        for p in m.parameters { for i in 0..<p.grad.count { p.grad.scalars[i] *= Float(r.count) } }
        expectGradientsMatchFiniteDifferences(m.namedParameters, names: Set(m.namedParameters.map(\.name)), stride: 7,
                                              what: "\(cell) \(attention) feeding \(inputFeeding) tied \(tied)", loss: loss)
    }

    @Test("beam search of width 1 gives exactly the greedy output", arguments: [false, true])
    func beamWidthOneIsGreedy(inputFeeding: Bool) {
        let m = Self.model(cell: .lstm, inputFeeding: inputFeeding, hidden: 8, seed: 4)
        let sentences = Self.sequences(9, lengths: 1...6, seed: 5)
        var greedy = DecodingOptions()
        greedy.beam = 1
        var beam = greedy
        beam.batch = 4
        let decoder = Seq2SeqDecoder(model: m, sources: sentences.map(m.sourceIDs))
        let limits = sentences.map { greedy.maxLength(sourceWords: $0.count) }
        let g = decoder.greedy(maxLengths: limits).map(\.tokens)
        let b = BeamSearch(width: 1, maxLength: 20, endToken: Seq2Seq.eosID, lengthPenalty: 0.6)
            .search(decoder, from: decoder.initialState, first: Array(repeating: Seq2Seq.bosID, count: sentences.count), maxLengths: limits)
            .map { $0[0].tokens }
        #expect(g == b)
        #expect(m.translate(sentences, options: greedy).map { $0[0].words } == g.map { $0.map(m.target.token) })
    }

    @Test("batched beam search equals one sentence at a time, and n-best is sorted")
    func beamIsBatchIndependent() {
        let m = Self.model(cell: .gru, hidden: 8, seed: 6)
        let sentences = Self.sequences(5, lengths: 1...5, seed: 7)
        var o = DecodingOptions()
        o.beam = 4
        o.nBest = 3
        let together = m.translate(sentences, options: o)
        o.batch = 1
        let alone = m.translate(sentences, options: o)
        #expect(together.map { $0.map(\.words) } == alone.map { $0.map(\.words) })
        for hs in together {
            #expect(hs.count == 3)
            #expect(zip(hs, hs.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
    }

    @Test("reversing short sequences is learned (39 of 40 or better on every kernel) in seconds, and survives a checkpoint round trip")
    func reversalIsLearned() throws {
        let train = Self.sequences(600, lengths: 2...5, seed: 8).map { ParallelText.Pair(source: $0, target: $0.reversed(), line: 0) }
        let valid = Self.sequences(40, lengths: 2...5, seed: 9)
        let config = Seq2SeqConfig(cell: .gru, lowercase: false, sourceVocabularySize: 12, targetVocabularySize: 12, embeddingSize: 16,
                                   encoderHiddenSize: 32, encoderLayers: 1, decoderHiddenSize: 32, decoderLayers: 1,
                                   attention: .general, attentionSize: 0, inputFeeding: false, dropout: 0)
        var rng = SeededRNG(seed: 10)
        let m = Seq2Seq(config: config, source: Self.vocabulary(Self.symbols), target: Self.vocabulary(Self.symbols), rng: &rng)
        let task = TranslationTask(model: m, train: train,
                                   valid: valid.map { ParallelText.Pair(source: $0, target: $0.reversed(), line: 0,
                                                                        reference: $0.reversed().joined(separator: " ")) },
                                   batch: 32)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-seq2seq-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = TrainingOptions(output: "\(dir)/rev.safetensors", optimizer: OptimizerConfig(kind: .adam, learningRate: 5e-3))
        o.budget = TrainingBudget(steps: 600)
        o.validateEvery = 200
        o.selectMetric = "bleu"
        o.logEvery = 1000
        let trainer = try Trainer(task: task, options: o)
        trainer.log = { _ in }
        trainer.interactive = false
        _ = try trainer.run()
        var greedy = DecodingOptions()
        greedy.beam = 1
        // Every kernel and backend learns the reversal, but their rounding leads to different weights: here the
        // AVX-512, AVX2 and OpenBLAS paths get all 40 and the portable kernel drops one repeated symbol of one
        // sequence ("g d f f f"), so one miss is allowed. (The earlier 1e-2 for 300 steps missed one under the
        // built-in kernels too, and 2 with the portable one at 450 steps.)
        let reversed = valid.map { Array($0.reversed()) }
        func misses(_ got: [[String]]) -> Int { zip(reversed, got).filter { $0.0 != $0.1 }.count }
        let out = m.translate(valid, options: greedy).map { $0[0].words }
        #expect(misses(out) <= 1, "reversal not learned: \(zip(valid, out).filter { $0.0.reversed() != $0.1 }.prefix(3))")

        let loaded = try Seq2Seq(checkpoint: try Checkpoint.read(o.output))
        #expect(loaded.config == m.config)
        var beam = DecodingOptions()
        beam.beam = 3
        #expect(misses(loaded.translate(valid, options: beam).map { $0[0].words }) <= 1)
        #expect(BLEU(hypotheses: out.map { $0.joined(separator: " ") }, references: valid.map { $0.reversed().joined(separator: " ") }).score > 98)
    }

    @Test("a tied model's checkpoint has no head.weight and loads back to the same loss")
    func tiedCheckpointRoundTrip() throws {
        let m = Self.model(cell: .lstm, inputFeeding: true, tied: true)
        let dir = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/tied.safetensors"
        try Checkpoint.write(kind: Seq2Seq.kind, config: m.configJSON, vocabulary: m.checkpointVocabulary,
                             tensors: m.namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
        let ck = try Checkpoint.read(path)
        #expect(ck.tensors["head.weight"] == nil && ck.tensors["target_embedding.weight"] != nil)
        let loaded = try Seq2Seq(checkpoint: ck)
        #expect(loaded.head.weight === loaded.targetEmbedding.weight)
        let src = Self.sequences(3, lengths: 1...4, seed: 12).map(m.sourceIDs), tgt = Self.sequences(3, lengths: 1...4, seed: 13).map(m.targetIDs)
        var r1 = SeededRNG(seed: 0), r2 = SeededRNG(seed: 0)
        #expect(m.loss(sources: src, targets: tgt, rng: &r1).loss == loaded.loss(sources: src, targets: tgt, rng: &r2).loss)
    }

    @Test("unknown words become <unk>, never a crash; alignment rows are distributions over the source")
    func unknownWordsAndAlignment() {
        let m = Self.model(hidden: 6)
        #expect(m.sourceIDs(["a", "zzz"]) == [m.source.id("a")!, Seq2Seq.unknownID, Seq2Seq.eosID])
        let out = m.translate([["zzz", "qqq"]], options: DecodingOptions())
        #expect(out.count == 1)
        let rows = m.alignment(source: ["a", "zzz"], target: ["b", "c", "d"])
        #expect(rows.count == 4 && rows.allSatisfy { $0.count == 3 && abs($0.reduce(0, +) - 1) < 1e-5 })
    }

    @Test("parallel text: pairs by line, empty lines skipped and counted, long ones cut, references lowercased with the words")
    func parallelText() throws {
        let dir = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "Ein Hund.\n\nZwei Katzen spielen heute.\n".write(toFile: "\(dir)/a.de", atomically: true, encoding: .utf8)
        try "A dog.\nNothing\nTwo cats play today.\n".write(toFile: "\(dir)/a.en", atomically: true, encoding: .utf8)
        let t = try ParallelText.read(source: "\(dir)/a.de", target: "\(dir)/a.en", lowercase: true, maxWords: 4)
        #expect(t.pairs.map(\.line) == [1, 3] && t.emptyLines == [2] && t.truncatedLines == [3])
        #expect(t.pairs[0].source == ["ein", "hund", "."] && t.pairs[1].target == ["two", "cats", "play", "today"])
        #expect(t.pairs.map(\.reference) == ["a dog.", "two cats play today."])
    }

    @Test("the output length limit follows the source length and is capped")
    func maxLength() {
        var o = DecodingOptions()
        #expect(o.maxLength(sourceWords: 10) == 20)
        o.maxLengthRatio = 1e300
        #expect(o.maxLength(sourceWords: 5) == 10_005)
    }

    @Test("detokenization undoes the tokenizer on ordinary sentences")
    func detokenization() {
        for line in ["Two young, White males are outside near many bushes.", "A man (in a hat) says \"hello\" to a dog!",
                     "Is it late? Yes: it's late; go."] {
            #expect(TranslationText.detokenize(TranslationText.words(line)) == line)
        }
    }
}

/// Scheduled sampling: feeding other words than the references, and the model's own predictions.
@Suite struct ScheduledSamplingTests {
    @Test("teacher-forced predictions fed back reproduce greedy decoding, position by position", arguments: [false, true])
    func predictionsFedBackAreGreedy(inputFeeding: Bool) {
        let m = Seq2SeqTests.model(cell: .lstm, inputFeeding: inputFeeding, hidden: 8, seed: 4)
        let sentences = Seq2SeqTests.sequences(9, lengths: 1...6, seed: 5)
        var greedy = DecodingOptions()
        greedy.beam = 1
        let outputs = m.translate(sentences, options: greedy).map { m.targetIDs($0.first?.words ?? []) }
        #expect(outputs.contains { $0.count > 1 }, "the greedy outputs are too short to test anything")
        var rng = SeededRNG(seed: 0)
        let r = m.loss(sources: sentences.map(m.sourceIDs), targets: outputs, fed: outputs, predicting: true, rng: &rng)
        // Greedy picked g_t as the most likely word after <bos> g_0 ... g_{t-1}: so does the teacher-forced pass.
        #expect(r.outputs.predictions == outputs)
    }

    @Test("fed words change what the decoder reads, not what the loss scores")
    func fedWordsChangeTheInputsOnly() {
        let m = Seq2SeqTests.model(cell: .gru, hidden: 6)
        let src = Seq2SeqTests.sequences(4, lengths: 2...4, seed: 2).map(m.sourceIDs)
        let tgt = Seq2SeqTests.sequences(4, lengths: 2...4, seed: 3).map(m.targetIDs)
        var rng = SeededRNG(seed: 0)
        let plain = m.loss(sources: src, targets: tgt, rng: &rng)
        let same = m.loss(sources: src, targets: tgt, fed: tgt, rng: &rng)
        let other = m.loss(sources: src, targets: tgt, fed: tgt.map { $0.map { _ in Seq2Seq.unknownID } }, rng: &rng)
        #expect(plain.loss == same.loss && plain.count == same.count)
        #expect(other.loss != plain.loss && other.count == plain.count)
    }

    @Test("the probability ramps linearly over the epochs, then stays")
    func probabilityRamps() {
        let s = ScheduledSampling(probability: 0.4, rampEpochs: 2)
        #expect(s.probability(afterEpochs: 0) == 0 && s.probability(afterEpochs: 1) == 0.2)
        #expect(s.probability(afterEpochs: 2) == 0.4 && s.probability(afterEpochs: 7) == 0.4)
        #expect(ScheduledSampling(probability: 0.3, rampEpochs: 0).probability(afterEpochs: 0) == 0.3)
        var rng = SeededRNG(seed: 1)
        let targets = [[1, 2, 3], [4]], guesses = [[7, 8, 9], [6]]
        #expect(ScheduledSampling.mix(targets: targets, predictions: guesses, p: 0, rng: &rng) == targets)
        #expect(ScheduledSampling.mix(targets: targets, predictions: guesses, p: 1, rng: &rng) == guesses)
        let half = (0..<200).flatMap { _ in ScheduledSampling.mix(targets: [[0]], predictions: [[1]], p: 0.5, rng: &rng)[0] }
        #expect((70...130).contains(half.reduce(0, +)))
    }

    @Test("a task at probability 1 trains on exactly its own teacher-forced predictions")
    func taskFeedsItsPredictions() {
        let m = Seq2SeqTests.model(cell: .gru, hidden: 6)
        let words = Seq2SeqTests.sequences(6, lengths: 2...4, seed: 9)
        let pairs = words.map { ParallelText.Pair(source: $0, target: $0.reversed(), line: 1, reference: $0.reversed().joined(separator: " ")) }
        let task = TranslationTask(model: m, train: pairs, valid: [], batch: 6)
        task.scheduledSampling = ScheduledSampling(probability: 1, rampEpochs: 0)
        task.startEpoch(0, seed: 1)
        #expect(task.samplingProbability(batch: 0) == 1)
        m.zeroGradients()
        var rng = SeededRNG(seed: 3)
        let sampled = task.trainBatch(0, rng: &rng)
        let viaTask = m.parameters.map(\.grad.scalars)

        let indices = task.batches[0]
        let sources = indices.map { task.trainSources[$0] }, targets = indices.map { task.trainTargets[$0] }
        var r2 = SeededRNG(seed: 3)
        let guesses = m.loss(sources: sources, targets: targets, predicting: true, rng: &r2).outputs.predictions
        #expect(guesses != targets, "an untrained model's guesses should differ from the references")
        m.zeroGradients()
        let direct = m.loss(sources: sources, targets: targets, fed: guesses, training: true, rng: &r2)
        #expect(direct.loss == sampled.loss)
        #expect(m.parameters.map(\.grad.scalars) == viaTask)
    }
}
