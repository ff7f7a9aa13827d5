import Foundation
import Testing
@testable import Recurrent

/// Issue 18's word-level pieces: locked and embedding dropout, weight drop,
/// tied output layers (with a projection), the adaptive softmax; against
/// finite differences and against PyTorch (Scripts/make_wordlm_fixtures.py).
@Suite struct WordLanguageModelTests {
    static let V = 23
    static let vocabulary = Vocabulary(tokens: ["<unk>", "<eos>"] + (0..<(V - 2)).map { "w\($0)" })

    static func model(_ edit: (inout LanguageModelConfig) -> Void, embedding: Int = 6, hidden: Int = 8, seed: UInt64 = 3) -> LanguageModel {
        var config = LanguageModelConfig(level: .word, cell: .lstm, vocabularySize: V, embeddingSize: embedding, hiddenSize: hidden, layers: 2, dropout: 0)
        edit(&config)
        var rng = SeededRNG(seed: seed)
        return LanguageModel(config: config, vocabulary: vocabulary, rng: &rng)
    }

    // MARK: - Dropout masks

    @Test func lockedDropoutUsesOneMaskPerSequenceAtEveryStep() {
        let T = 6, B = 4, F = 50
        let x = Tensor(shape: [T, B, F], scalars: (0..<(T * B * F)).map { Float($0 % 13) + 1 })
        var rng = SeededRNG(seed: 9)
        let r = Dropout(probability: 0.5, locked: true).forward(x, training: true, rng: &rng)
        let mask = r.trace.mask!
        for t in 1..<T {
            #expect(Array(mask.scalars[(t * B * F)..<((t + 1) * B * F)]) == Array(mask.scalars[0..<(B * F)]), "step \(t)")
        }
        let dropped = mask.scalars[0..<(B * F)].filter { $0 == 0 }.count
        #expect(dropped > B * F / 4 && dropped < 3 * B * F / 4)
        #expect(Set(mask.scalars) == [0, 2])
        for i in 0..<x.count { #expect(r.output.scalars[i] == x.scalars[i] * mask.scalars[i]) }
        let dy = randomTensor([T, B, F], seed: 1)
        #expect(Dropout(probability: 0.5, locked: true).backward(r.trace, gradOutput: dy) == Dropout.multiply(dy, by: mask))
        // A step-wise dropout draws fresh masks per step.
        var rng2 = SeededRNG(seed: 9)
        let plain = Dropout(probability: 0.5).forward(x, training: true, rng: &rng2).trace.mask!
        #expect(Array(plain.scalars[(B * F)..<(2 * B * F)]) != Array(plain.scalars[0..<(B * F)]))
    }

    @Test func embeddingDropoutDropsWholeWords() {
        let ids = (0..<200).map { $0 % 10 }, E = 3
        let embedded = Tensor(shape: [200, E], scalars: (0..<(200 * E)).map { _ in 1 })
        var rng = SeededRNG(seed: 4)
        let r = EmbeddingDropout(probability: 0.5).forward(embedded, ids: ids, training: true, rng: &rng)
        var seen: [Int: Float] = [:]
        for (n, id) in ids.enumerated() {
            let row = Array(r.output.scalars[(n * E)..<((n + 1) * E)])
            #expect(Set(row).count == 1 && (row[0] == 0 || row[0] == 2))
            if let s = seen[id] { #expect(s == row[0], "word \(id) at \(n)") } else { seen[id] = row[0] }
        }
        #expect(seen.values.contains(0) && seen.values.contains(2))
        var unused = SeededRNG(seed: 4)
        #expect(EmbeddingDropout(probability: 0.5).forward(embedded, ids: ids, training: false, rng: &unused).output == embedded)
    }

    // MARK: - Finite differences

    /// Gradients of one batch's training loss (every dropout mask drawn from the
    /// same seed at each call, so the loss is a fixed function of the weights).
    static func checkGradients(_ model: LanguageModel, names: Set<String>, stride: Int = 3) {
        let T = 5, B = 3
        let ids = (0..<(T * B)).map { $0 * 7 % V }, targets = (0..<(T * B)).map { ($0 * 5 + 3) % V }
        func trainingLoss() -> Double {
            var rng = SeededRNG(seed: 11)
            return model.loss(inputs: ids, targets: targets, steps: T, batch: B, initial: nil, training: true, rng: &rng).loss
        }
        #expect(Set(model.namedParameters.map(\.name)).isSuperset(of: names))
        model.zeroGradients()
        _ = trainingLoss()
        let analytic = model.parameters.map(\.grad)
        expectGradientsMatchFiniteDifferences(model.namedParameters, names: names, stride: stride, what: "\(model.config)") {
            defer { for (p, g) in zip(model.parameters, analytic) { p.grad = g } }
            return trainingLoss()
        }
    }

    @Test func regularisedTiedModelWithProjectionMatchesFiniteDifferences() {
        let model = Self.model {
            $0.tied = true
            $0.dropout = 0.3; $0.inputDropout = 0.2; $0.outputDropout = 0.4
            $0.lockedDropout = true; $0.embeddingDropout = 0.2; $0.weightDrop = 0.3
        }
        #expect(model.projection != nil && model.head!.weight === model.embedding.weight)
        Self.checkGradients(model, names: ["embedding.weight", "projection.weight", "head.bias", "rnn.weight_hh_l0", "rnn.weight_hh_l1", "rnn.weight_ih_l1"])
    }

    @Test func adaptiveSoftmaxModelMatchesFiniteDifferences() {
        let model = Self.model({ $0.adaptiveCutoffs = [5, 12]; $0.adaptiveDivValue = 2; $0.weightDrop = 0.5; $0.lockedDropout = true; $0.dropout = 0.2 },
                               hidden: 8)
        Self.checkGradients(model, names: ["adaptive.head.weight", "adaptive.tail.0.0.weight", "adaptive.tail.0.1.weight",
                                           "adaptive.tail.1.0.weight", "adaptive.tail.1.1.weight", "rnn.weight_hh_l0", "embedding.weight"], stride: 2)
    }

    @Test func weightDropMasksWhhForTheBatchAndRestoresIt() {
        let model = Self.model { $0.weightDrop = 0.5 }
        let before = model.rnn.passes.map { $0[0].weightHH.value }
        var rng = SeededRNG(seed: 2)
        let ids = Array(0..<12)
        let trained = model.loss(inputs: ids, targets: ids.map { ($0 + 1) % Self.V }, steps: 4, batch: 3, initial: nil, training: true, rng: &rng).loss
        #expect(model.rnn.passes.map { $0[0].weightHH.value } == before)
        // Some W_hh gradients are exactly zero: their weights were dropped for this batch.
        let grad = model.rnn.passes[0][0].weightHH.grad.scalars
        #expect(grad.filter { $0 == 0 }.count > grad.count / 4)
        let evaluated = model.loss(inputs: ids, targets: ids.map { ($0 + 1) % Self.V }, steps: 4, batch: 3, initial: nil, training: false, rng: &rng).loss
        #expect(trained != evaluated)
    }

    /// Data-parallel training reduces each parameter's gradient once it is final:
    /// every parameter is reported exactly once, with tying, adaptive softmax and weight drop.
    @Test(arguments: [0, 1, 2])
    func everyParameterIsReportedReadyOnce(variant: Int) {
        let model = Self.model {
            if variant == 0 { $0.tied = true } else { $0.adaptiveCutoffs = [5, 12]; $0.adaptiveDivValue = 2 }
            if variant == 2 { $0.weightDrop = 0.4 }
        }
        var reported: [ObjectIdentifier] = []
        var rng = SeededRNG(seed: 5)
        let ids = Array(0..<12)
        _ = model.loss(inputs: ids, targets: ids.map { ($0 + 1) % Self.V }, steps: 4, batch: 3, initial: nil, training: true, rng: &rng,
                       gradientsReady: { reported += $0.map(ObjectIdentifier.init) })
        #expect(reported.count == model.parameters.count)
        #expect(Set(reported) == Set(model.parameters.map(ObjectIdentifier.init)))
    }

    // MARK: - Against PyTorch

    /// The checkpoint written by the script loads; loss, logits and every gradient agree with torch's.
    @Test(arguments: ["wordlm_tied_projection", "wordlm_tied", "wordlm_adaptive"])
    func pytorchModelLossAndGradientsAgree(name: String) throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath(name)))
        let outputs = try fixture("\(name)_outputs")
        let ids = try outputs.tensor("ids").scalars.map { Int($0) }, targets = try outputs.tensor("targets").scalars.map { Int($0) }
        model.zeroGradients()
        var rng = SeededRNG(seed: 0)
        let r = model.loss(inputs: ids, targets: targets, steps: 5, batch: 3, initial: nil, training: true, rng: &rng)
        #expect(abs(r.loss - Double(try outputs.tensor("loss").scalars[0])) < 1e-5, "\(name) loss")
        expectClose(model.logits(inputs: ids, steps: 5, batch: 3).logits, try outputs.tensor("logits"), atol: 1e-5, rtol: 1e-4, "\(name) logits")
        for (pname, p) in model.namedParameters {
            expectClose(p.grad, try outputs.tensor("grad.\(pname)"), atol: 1e-6, rtol: 1e-4, "\(name) grad \(pname)")
        }
        let ck = try Checkpoint.read(fixturePath(name))
        #expect(Set(ck.tensors.keys) == Set(model.namedParameters.map(\.name)))
        if model.config.tied == true { #expect(ck.tensors["head.weight"] == nil && model.head!.weight === model.embedding.weight) }
    }

    /// `rnn train lm --tie` / `--adaptive` wrote these; Scripts/torch_interop.py load-swift loaded them
    /// into Scripts/torch_models.py's LanguageModel with strict=True and saved torch's logits.
    @Test(arguments: ["interop_swift_lm_tied", "interop_swift_lm_adaptive"])
    func swiftCheckpointLoadsInPyTorchAndAgrees(name: String) throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath(name)))
        #expect(model.config.tied == true || model.config.adaptiveCutoffs == [10, 25])
        try InteropTests.check(model: model, outputs: try fixture("\(name)_torch_outputs"))
    }

    @Test func adaptiveSoftmaxAgreesWithPyTorch() throws {
        let f = try fixture("adaptive_softmax")
        var rng = SeededRNG(seed: 0)
        let layer = AdaptiveLogSoftmax(inputSize: 8, classCount: Self.V, cutoffs: [5, 12], divValue: 2, rng: &rng)
        #expect(layer.namedParameters.map(\.parameter.shape) == [[7, 8], [4, 8], [7, 4], [2, 8], [11, 2]])
        for (name, p) in layer.namedParameters { p.value = try f.tensor("param.\(name)") }
        let x = try f.tensor("x"), targets = try f.tensor("targets").scalars.map { Int($0) }
        let r = layer.loss(x, targets: targets, computingGradient: true)
        #expect(abs(r.loss - Double(try f.tensor("loss").scalars[0])) < 1e-5)
        expectClose(r.gradInput!, try f.tensor("grad.x"), atol: 1e-6, rtol: 1e-4, "dx")
        for (name, p) in layer.namedParameters { expectClose(p.grad, try f.tensor("grad.\(name)"), atol: 1e-6, rtol: 1e-4, "grad \(name)") }
        let lp = layer.logProbabilities(x)
        expectClose(lp, try f.tensor("log_prob"), atol: 1e-5, rtol: 1e-5, "log_prob")
        for n in 0..<10 {
            let total = (0..<Self.V).reduce(0.0) { $0 + exp(Double(lp.scalars[n * Self.V + $1])) }
            #expect(abs(total - 1) < 1e-5, "row \(n) sums to \(total)")
        }
    }

    // MARK: - Checkpoints and generation

    @Test(arguments: [true, false])
    func tiedAndAdaptiveModelsRoundTripAndSample(tied: Bool) throws {
        let model = Self.model { if tied { $0.tied = true } else { $0.adaptiveCutoffs = [4, 9]; $0.adaptiveDivValue = 2 } }
        let path = CLITests.tempDir() + "/m.safetensors"
        try model.save(to: path)
        let loaded = try LanguageModel(contentsOf: path)
        #expect(loaded.config == model.config)
        let ids = [2, 5, 7, 1, 3, 9]
        #expect(loaded.logits(inputs: ids, steps: 3, batch: 2).logits == model.logits(inputs: ids, steps: 3, batch: 2).logits)
        // Step-by-step generation reads the same output layer as the batch forward.
        let generator = TokenGenerator(loaded)
        let batch = loaded.logits(inputs: [2, 5, 7], steps: 3, batch: 1).logits
        for (t, id) in [2, 5, 7].enumerated() {
            let step = generator.next(id)
            expectClose(step, Tensor(shape: [1, Self.V], scalars: Array(batch.scalars[(t * Self.V)..<((t + 1) * Self.V)])), atol: 1e-5, rtol: 1e-4, "step \(t)")
        }
    }

    @Test func configurationProblemsAreNamed() {
        var c = LanguageModelConfig(level: .word, cell: .lstm, vocabularySize: 10, embeddingSize: 4, hiddenSize: 4, layers: 1, dropout: 0)
        c.adaptiveCutoffs = [3, 12]
        #expect(validationMessage(try c.validate())?.contains("within 1..<10") == true)
        c.adaptiveCutoffs = [3]; c.tied = true
        #expect(validationMessage(try c.validate())?.contains("tied weights need the full softmax") == true)
        c.tied = nil; c.adaptiveCutoffs = [2, 5, 8]
        #expect(validationMessage(try c.validate())?.contains("would project 4 features to none") == true)
        c.adaptiveCutoffs = nil; c.weightDrop = 1
        #expect(throws: ConfigurationError.invalidValue(setting: "weight drop", value: "1.0", expected: "must lie in [0, 1)")) { try c.validate() }
        #expect(validationMessage(try c.validate()) == "weight drop must lie in [0, 1), got 1.0")
    }
}
