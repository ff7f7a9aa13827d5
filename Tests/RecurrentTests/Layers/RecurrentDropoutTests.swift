import Foundation
import Testing
@testable import Recurrent

/// Recurrent dropout (Keras' `recurrent_dropout`): `h_{t-1}` masked where it
/// enters `W_hh h_{t-1}`, one `[B, H]` mask per sequence and pass, the same at
/// every step; checked by finite differences, against a PyTorch autograd loop
/// (Scripts/make_torch_fixtures.py, `recurrent_dropout`), split against one
/// thread, and through a resumed training run.
@Suite struct RecurrentDropoutTests {
    @Test("recurrent dropout gradients match finite differences (every cell, uni/bi, 2 layers, ragged)",
          arguments: CellKind.allCases, [false, true])
    func gradientsMatchFiniteDifferences(cell: CellKind, bidirectional: Bool) {
        // Seeds where no ReLU pre-activation lies within the step of its kink (central differences are wrong there).
        var rng = SeededRNG(seed: 20)
        let layer = RecurrentLayer(cell: cell, inputSize: 3, hiddenSize: 3, layers: 2, bidirectional: bidirectional,
                                   recurrentDropout: 0.4, rng: &rng)
        let trace = FiniteDifferenceTests.checkRecurrentLayer(layer, T: 4, B: 3, lengths: [4, 2, 3], seed: 22, maskSeed: 98,
                                                              what: "\(cell) \(bidirectional ? "bi" : "uni")")
        let masks = trace.passTraces.flatMap { $0.map(\.recurrentMask) }
        #expect(masks.allSatisfy { $0 != nil }, "training with p > 0 draws a mask for every pass")
        #expect(masks.contains { $0!.scalars.contains(0) }, "no unit was dropped: the check would not see the mask")
    }

    @Test("outputs and every gradient agree with a PyTorch autograd loop given the same masks",
          arguments: CellKind.allCases, GEMMBackend.available)
    func matchesPyTorchLoop(cell: CellKind, backend: GEMMBackend) throws {
        let file = try fixture("recurrent_dropout")
        for combo in [(1, false, false, false), (2, true, true, true), (1, true, false, true), (2, false, true, false)] {
            let name = "\(cell.rawValue)/" + RecurrentParityTests.comboName((combo.0, combo.1, combo.2, combo.3))
            let f = { (key: String) throws -> Tensor in try file.tensor("\(name)/\(key)") }
            let x = try f("x")
            var rng = SeededRNG(seed: 1)
            let layer = RecurrentLayer(cell: cell, inputSize: x.shape[2], hiddenSize: try f("h_n").shape[2],
                                       layers: combo.0, bidirectional: combo.1, recurrentDropout: 0.4, rng: &rng)
            let masks = try layer.passes.map { try $0.map { try f("mask" + $0.suffix) } }
            try RecurrentParityTests.expectMatchesFixture(layer, f, ragged: combo.2, given: combo.3, masks: masks, backend: backend,
                                                          what: "\(name) \(backend)")
        }
    }

    /// p = 0, and evaluation, take the plain path: bit-identical to a layer
    /// without the option, and no mask drawn (the RNG is untouched).
    @Test func offInEvaluationAndAtZeroProbability() {
        let x = randomTensor([5, 2, 3], seed: 41)
        func layer(_ p: Float) -> RecurrentLayer {
            var rng = SeededRNG(seed: 42)
            return RecurrentLayer(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, recurrentDropout: p, rng: &rng)
        }
        let plain = layer(0), dropped = layer(0.5)
        var a = SeededRNG(seed: 43), b = SeededRNG(seed: 43)
        let reference = plain.forward(x, training: true, rng: &a).output
        #expect(dropped.forward(x).output.scalars == reference.scalars)
        #expect(a.next() == b.next(), "p = 0 drew from the RNG")
        var c = SeededRNG(seed: 43)
        let trained = dropped.forward(x, training: true, rng: &c)
        #expect(trained.output.scalars != reference.scalars)
        let mask = trained.trace.passTraces[0][0].recurrentMask!
        #expect(mask.shape == [2, 4] && mask.scalars.allSatisfy { $0 == 0 || $0 == 2 })
    }

    /// With an all-zero mask an Elman RNN's product sees no history: every
    /// step is `tanh(W_ih x_t + b_ih + b_hh)`, while the final state is still
    /// the last step's `h` (the carried state is not masked).
    @Test func aZeroMaskCutsTheProductNotTheState() {
        var rng = SeededRNG(seed: 44)
        let layer = RecurrentLayer(cell: .rnnTanh, inputSize: 2, hiddenSize: 3, recurrentDropout: 0.5, rng: &rng)
        let x = randomTensor([4, 2, 2], seed: 45)
        let r = layer.forward(x, lengths: nil, initial: RecurrentState(h: randomTensor([1, 2, 3], seed: 46)), training: true,
                              rng: &rng, recurrentMasks: [[.zeros([2, 3])]])
        let p = layer.passes[0][0]
        for t in 0..<4 {
            for b in 0..<2 {
                for j in 0..<3 {
                    var a = p.biasIH.value.scalars[j] + p.biasHH.value.scalars[j]
                    for i in 0..<2 { a += p.weightIH.value.scalars[j * 2 + i] * x.scalars[(t * 2 + b) * 2 + i] }
                    #expect(abs(r.output.scalars[(t * 2 + b) * 3 + j] - tanh(a)) < 1e-6)
                }
            }
        }
        #expect(Array(r.final.h.scalars) == Array(r.output.scalars[(3 * 2 * 3)...]))
    }

    /// The split time loop (two threads, one barrier per step) with masks gives
    /// bit-for-bit what one thread gives.
    @Test("the time loop split over two threads equals one thread under recurrent dropout", arguments: [CellKind.lstm, .gru])
    func splitLoopEqualsOneThread(cell: CellKind) {
        TimeLoopKernelTests.expectSplitEqualsOneThread(cell: cell, T: 4, I: 8) { rng in
            RecurrentLayer(cell: cell, inputSize: 8, hiddenSize: 100, recurrentDropout: 0.3, rng: &rng)
        }
    }

    /// The masks come from the run's seeded RNG, which the resume checkpoint
    /// restores: 2N steps in one go equal N steps, resume, N steps, bit for bit.
    @Test func resumeIsBitExact() throws {
        func task(seed: UInt64) -> LanguageModelTask {
            let corpus = LanguageModelCorpus(train: TrainerTests.text, valid: nil, level: .char)
            var config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: corpus.vocabulary.count, embeddingSize: 8,
                                             hiddenSize: 16, layers: 2, dropout: 0.1)
            config.recurrentDropout = 0.3
            var rng = SeededRNG(seed: seed)
            let model = LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng)
            return LanguageModelTask(model: model, train: corpus.train, valid: corpus.valid, batch: 4, seq: 8)
        }
        let dirA = TrainerTests.tempDir(), dirB = TrainerTests.tempDir()
        let straight = task(seed: 3)
        try TrainerTests.quiet(Trainer(task: straight, options: TrainerTests.options(dirA, steps: 12))).run()
        try TrainerTests.quiet(Trainer(task: task(seed: 3), options: TrainerTests.options(dirB, steps: 5))).run()
        let resumed = task(seed: 99)
        let trainer = TrainerTests.quiet(try Trainer(task: resumed, options: TrainerTests.options(dirB, steps: 12)))
        try trainer.resume(from: TrainingOptions.resumePath(for: dirB + "/model.safetensors"))
        try trainer.run()
        for ((name, a), (_, b)) in zip(straight.parameters, resumed.parameters) {
            #expect(a.value.scalars == b.value.scalars, "\(name) differs after resume")
        }
        let saved = try Checkpoint.read(dirB + "/model.safetensors").metadata["config"] ?? ""
        #expect(saved.contains("\"recurrentDropout\":0.3"), "\(saved)")
    }
}
