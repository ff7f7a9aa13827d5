import Foundation
import Testing
@testable import Recurrent

/// The one-to-many model: learning, gradients of the conditioning path, the
/// batch-1 decoder against the training forward pass, checkpoints and beam search.
@Suite struct ConditionalGeneratorTests {
    static let words = ["cat", "dog", "emu"]

    static func vocabulary() -> Vocabulary { ConditionalGenerator.vocabulary(for: words, level: .char) }

    static func model(cell: CellKind = .lstm, source: ConditionSource = .label, feed: Bool = true, layers: Int = 1,
                      hidden: Int = 16, conditionSize: Int = 4, seed: UInt64 = 1) -> ConditionalGenerator {
        let v = vocabulary()
        let config = ConditionalGeneratorConfig(level: .char, cell: cell, vocabularySize: v.count, embeddingSize: 6, hiddenSize: hidden,
                                                layers: layers, dropout: 0, source: source, conditionSize: source == .none ? 0 : conditionSize,
                                                labels: source == .label ? ["a", "b", "c"] : [], feedEveryStep: source != .none && feed)
        var rng = SeededRNG(seed: seed)
        return ConditionalGenerator(config: config, vocabulary: v, rng: &rng)
    }

    static func examples(_ m: ConditionalGenerator) throws -> ConditionalExamples {
        try m.encode(words.enumerated().map { i, w in LabeledText(text: w, label: ["a", "b", "c"][i], path: "words", line: i + 1) })
    }

    @Test("each of 3 labels learns its own word to 100%", arguments: [(CellKind.lstm, true), (.gru, false), (.rnnTanh, true)])
    func learnsThreeLabelsToThreeWords(cell: CellKind, feed: Bool) throws {
        let m = Self.model(cell: cell, feed: feed, layers: 2)
        let task = ConditionalGenerationTask(model: m, train: try Self.examples(m), valid: nil, batch: 3)
        var options = TrainingOptions(output: TrainerTests.tempDir() + "/g.safetensors", optimizer: OptimizerConfig(kind: .adam, learningRate: 0.02))
        options.budget = TrainingBudget(steps: 150)
        options.logEvery = 1000
        let trainer = try Trainer(task: task, options: options)
        trainer.log = { _ in }
        try trainer.run()
        var rng = SeededRNG(seed: 1)
        for (k, word) in Self.words.enumerated() {
            let greedy = m.decode(m.generate(.label(k), maxLength: 10, options: SamplingOptions(argmax: true), rng: &rng))
            #expect(greedy == word, "\(cell) label \(k): \(greedy)")
            let beam = m.beamSearch(.label(k), width: 3, maxLength: 10)
            #expect(m.decode(beam[0].tokens) == word && beam[0].finished, "\(cell) beam for label \(k): \(beam)")
            // With a prime, generation continues it.
            #expect(m.decode(m.generate(.label(k), prime: try m.encode(String(word.prefix(1))), maxLength: 10,
                                        options: SamplingOptions(argmax: true), rng: &rng)) == String(word.dropFirst()))
        }
    }

    /// Cross-entropy in Double from the logits, for finite differences.
    static func doubleLoss(_ m: ConditionalGenerator, _ input: ConditionInput, _ sequences: [[Int]]) -> Double {
        var rng = SeededRNG(seed: 0)
        let logits = m.loss(input, sequences: sequences, training: false, rng: &rng).outputs
        let targets = ConditionalGenerator.teacherForcing(sequences).targets
        let V = logits.shape[1]
        var total = 0.0, count = 0
        for (n, t) in targets.enumerated() where t >= 0 {
            let row = (0..<V).map { Double(logits.scalars[n * V + $0]) }
            let mx = row.max()!
            total += log(row.map { exp($0 - mx) }.reduce(0, +)) + mx - row[t]
            count += 1
        }
        return total / Double(count)
    }

    @Test("conditioning path gradients match finite differences",
          arguments: [(CellKind.lstm, ConditionSource.label, true), (.gru, .label, false), (.rnnTanh, .features, true), (.lstm, .features, false)])
    func conditioningGradients(cell: CellKind, source: ConditionSource, feed: Bool) throws {
        let m = Self.model(cell: cell, source: source, feed: feed, layers: 2, hidden: 3, conditionSize: 2, seed: 4)
        let input: ConditionInput = source == .label ? .labels([2, 0, 1]) : .features(randomTensor([3, 2], seed: 8))
        let sequences = [[1, 2, 3], [4], [5, 1]]                       // three lengths: padding is exercised
        m.zeroGradients()
        var rng = SeededRNG(seed: 0)
        _ = m.loss(input, sequences: sequences, training: true, rng: &rng)
        let names: Set<String> = ["condition.weight", "bridge.weight", "bridge.bias", "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                  "rnn.bias_hh_l1", "embedding.weight"]
        expectGradientsMatchFiniteDifferences(m.namedParameters, names: names, stride: 1, eps: 1e-2, what: "\(cell) \(source)") {
            Self.doubleLoss(m, input, sequences)
        }
    }

    @Test("the batch-1 decoder (initial state, per-step condition) gives the training pass's logits",
          arguments: [(CellKind.lstm, ConditionSource.label, true), (.gru, .features, true), (.rnnTanh, .features, false), (.gru, .none, false)])
    func stepperMatchesTeacherForcing(cell: CellKind, source: ConditionSource, feed: Bool) {
        let m = Self.model(cell: cell, source: source, feed: feed, layers: 2, hidden: 8, conditionSize: 5, seed: 9)
        let features = randomTensor([1, 5], seed: 3)
        let input: ConditionInput, condition: ConditionalGenerator.Condition
        switch source {
        case .label: (input, condition) = (.labels([1]), .label(1))
        case .features: (input, condition) = (.features(features), .features(features.scalars))
        case .none: (input, condition) = (.none(count: 1), .none)
        }
        let sequence = [3, 1, 4, 1]
        var rng = SeededRNG(seed: 0)
        let expected = m.loss(input, sequences: [sequence], training: false, rng: &rng).outputs     // [T, V], T = 5
        let generator = m.generator(for: condition).generator
        for (t, id) in ([ConditionalGenerator.endID] + sequence).enumerated() {
            let V = m.config.vocabularySize
            expectClose(generator.next(id), Tensor(shape: [1, V], scalars: Array(expected.scalars[(t * V)..<((t + 1) * V)])),
                        atol: 1e-4, "\(cell) \(source) step \(t)")
        }
    }

    @Test func checkpointRoundTripKeepsConfigWeightsAndOutputs() throws {
        for source in ConditionSource.allCases {
            let m = Self.model(cell: .gru, source: source, layers: 2, seed: 5)
            let path = TrainerTests.tempDir() + "/g.safetensors"
            try m.save(to: path)
            let loaded = try ConditionalGenerator(checkpoint: try Checkpoint.read(path))
            #expect(loaded.config == m.config && loaded.vocabulary == m.vocabulary)
            #expect(loaded.namedParameters.map(\.name) == m.namedParameters.map(\.name))
            for (a, b) in zip(loaded.namedParameters, m.namedParameters) { #expect(a.parameter.value == b.parameter.value, "\(a.name)") }
            let input: ConditionInput = source == .label ? .labels([0, 2]) : source == .features ? .features(randomTensor([2, 4], seed: 1)) : .none(count: 2)
            var rng = SeededRNG(seed: 0)
            #expect(loaded.loss(input, sequences: [[1, 2], [3]], training: false, rng: &rng).outputs
                    == m.loss(input, sequences: [[1, 2], [3]], training: false, rng: &rng).outputs)
        }
        // A checkpoint of another kind is refused with both kinds named.
        let path = TrainerTests.tempDir() + "/lm.safetensors"
        try Checkpoint.write(kind: "language_model", config: "{}", vocabulary: nil, tensors: [], to: path)
        #expect(throws: CheckpointError.wrongKind(path: path, found: "language_model", expected: "conditional_generator")) {
            try ConditionalGenerator(checkpoint: try Checkpoint.read(path))
        }
    }

    @Test func unknownLabelListsTheKnownOnes() throws {
        let m = Self.model()
        #expect(throws: LabelError(description: "unknown condition 'z'; the model knows a, b, c")) { try m.labelID("z") }
        let bad = [LabeledText(text: "cat", label: "q", path: "f.tsv", line: 7)]
        #expect(throws: LabelError(description: "f.tsv:7: unknown condition 'q'; the model knows a, b, c")) { try m.encode(bad) }
    }

    /// Checkpoints written by `rnn train generate`, loaded by Scripts/torch_interop.py into
    /// torch.nn with `load_state_dict(strict=True)`; torch's logits and loss on its fixed batch.
    @Test("the PyTorch mirror gives the same loss", arguments: ["interop_swift_generator_label", "interop_swift_generator_features"])
    func pytorchMirrorGivesTheSameLoss(name: String) throws {
        let m = try ConditionalGenerator(checkpoint: try Checkpoint.read(fixturePath(name)))
        let out = try fixture(name + "_torch_outputs")
        let inputs = try out.tensor("inputs"), lengths = try out.tensor("lengths").scalars.map { Int($0) }
        let B = lengths.count
        let sequences = (0..<B).map { b in (1..<lengths[b]).map { t in Int(inputs.scalars[t * B + b]) } }
        let condition = try out.tensor("condition")
        let input: ConditionInput = m.config.source == .label ? .labels(condition.scalars.map { Int($0) }) : .features(condition)
        var rng = SeededRNG(seed: 0)
        let r = m.loss(input, sequences: sequences, training: false, rng: &rng)
        let expected = try out.tensor("logits")
        #expect(r.count == 14)
        expectClose(r.outputs.reshaped(expected.shape), expected, atol: 1e-5, "\(name) logits")
        #expect(abs(r.loss - Double(try out.tensor("loss").scalars[0])) < 1e-5, "\(name): loss \(r.loss)")
    }

    @Test func languageModelBeamOfOneIsGreedyAndWiderBeamsScoreAtLeastAsWell() throws {
        let lm = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_swift_lm")))
        let prime = try lm.encode("the ")
        var greedy: [Int] = []
        var rng = SeededRNG(seed: 1)
        lm.generate(prime: prime, length: 12, options: SamplingOptions(argmax: true), rng: &rng) { greedy.append($0) }
        let one = lm.beamSearch(prime: prime, width: 1, length: 12)
        #expect(one.tokens == greedy)
        let four = lm.beamSearch(prime: prime, width: 4, length: 12)
        #expect(four.tokens.count == 12 && four.logProbability >= one.logProbability - 1e-9)
    }

    /// A toy decoder where the greedy choice is a trap: "a" (0.6) is followed by
    /// the end only with 0.34, "b" (0.4) by the end with 0.9.
    struct Trap: NextTokenModel {
        // tokens: 0 end, 1 a, 2 b, 3 c; the state is the last token fed
        func logProbabilities(after token: Int, from state: Int) -> (logProbabilities: [Float], state: Int) {
            let p: [Float]
            switch token {
            case 9: p = [0.0, 0.6, 0.4, 0.0]
            case 1: p = [0.34, 0, 0.33, 0.33]
            case 2: p = [0.9, 0.05, 0.0, 0.05]
            default: p = [1, 0, 0, 0]
            }
            return (p.map { log(max($0, 1e-12)) }, token)
        }
    }

    @Test func beamSearchFindsTheSequenceGreedyMisses() {
        let greedy = BeamSearch(width: 1, maxLength: 5, endToken: 0).search(Trap(), from: 9, first: 9)
        #expect(greedy[0].tokens == [1] && abs(greedy[0].logProbability - log(0.6 * 0.34)) < 1e-5)
        let beam = BeamSearch(width: 2, maxLength: 5, endToken: 0).search(Trap(), from: 9, first: 9)
        #expect(beam.map(\.tokens) == [[2], [1]], "\(beam)")
        #expect(abs(beam[0].logProbability - log(0.36)) < 1e-5 && beam.allSatisfy(\.finished))
        // Without an end token it runs maxLength tokens.
        let open = BeamSearch(width: 2, maxLength: 3, endToken: nil).search(Trap(), from: 9, first: 9)
        #expect(open.allSatisfy { $0.tokens.count == 3 })
    }
}
