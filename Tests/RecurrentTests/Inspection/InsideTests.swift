import Foundation
import Testing
@testable import Recurrent

/// The numbers behind the "seeing inside" pictures: per-step gates and cells,
/// per-step state-gradient norms, the unit ranking, and the metrics reader.
@Suite struct InsideTests {
    @Test("gates, cells and outputs from activations(_:) equal PyTorch's, recomputed step by step from the same weights")
    func lstmActivationsMatchPyTorch() throws {
        let file = try fixture("lstm_activations")
        let x = try file.tensor("x")
        var rng = SeededRNG(seed: 1)
        let layer = RecurrentLayer(cell: .lstm, inputSize: 4, hiddenSize: 3, layers: 2, rng: &rng)
        for (name, p) in layer.namedParameters { p.value = try file.tensor(name) }
        let r = layer.forward(x, initial: RecurrentState(h: try file.tensor("h0"), c: try file.tensor("c0")))
        let passes = layer.activations(r.trace)
        #expect(passes.count == 2)
        for p in passes {
            expectClose(p.gates, try file.tensor("l\(p.layer)/gates"), "layer \(p.layer) gates i, f, g, o")
            expectClose(p.cells!, try file.tensor("l\(p.layer)/cells"), "layer \(p.layer) cells")
            expectClose(p.outputs, try file.tensor("l\(p.layer)/outputs"), "layer \(p.layer) outputs")
        }
        #expect(passes[1].outputs == r.output, "the top layer's recorded outputs are the layer's output")
        #expect(passes[0].gate(1, unit: 2, sequence: 1)[4] == passes[0].gates[4, 1, 1 * 3 + 2])
    }

    /// `L = Σ_t r_out[t]·y_t + r_h·h_T`, summed in Double, for a one-layer pass started from state (h, c) at step `from`.
    static func lossFrom(_ pass: RecurrentPass, x: Tensor, from t0: Int, h: Tensor, c: Tensor?, rOut: Tensor, rH: Tensor) -> Double {
        let T = x.shape[0], B = x.shape[1], I = x.shape[2], H = pass.hiddenSize
        var loss = 0.0
        for i in 0..<(B * H) { loss += Double(rOut.scalars[t0 * B * H + i]) * Double(h.scalars[i]) }   // h is y_{t0} itself
        var finalH = h
        if t0 + 1 < T {
            let rest = Tensor(shape: [T - t0 - 1, B, I], scalars: Array(x.scalars[((t0 + 1) * B * I)...]))
            let r = pass.forward(rest, lengths: nil, h0: h, c0: c)
            for i in 0..<r.output.count { loss += Double(rOut.scalars[(t0 + 1) * B * H + i]) * Double(r.output.scalars[i]) }
            finalH = r.h
        }
        for i in 0..<(B * H) { loss += Double(rH.scalars[i]) * Double(finalH.scalars[i]) }
        return loss
    }

    @Test("per-step |dL/dh_t| equals a central finite-difference estimate", arguments: [CellKind.rnnTanh, .lstm, .gru])
    func stateGradientNormsMatchFiniteDifferences(cell: CellKind) {
        let T = 6, B = 2, I = 3, H = 4
        var rng = SeededRNG(seed: 5)
        let layer = RecurrentLayer(cell: cell, inputSize: I, hiddenSize: H, rng: &rng)
        let x = randomTensor([T, B, I], seed: 6), rOut = randomTensor([T, B, H], seed: 7), rH = randomTensor([1, B, H], seed: 8)
        let r = layer.forward(x)
        let gradFinal = RecurrentState(h: rH, c: cell.hasCellState ? .zeros([1, B, H]) : nil)
        let measured = layer.backwardMeasuringStateGradients(r.trace, gradOutput: rOut, gradFinal: gradFinal)
        let plainGrads = layer.namedParameters.map { $0.parameter.grad }
        layer.zeroGradients()
        _ = layer.backward(r.trace, gradOutput: rOut, gradFinal: gradFinal)
        #expect(layer.namedParameters.map { $0.parameter.grad } == plainGrads, "measuring changes no parameter gradient")

        let p = layer.activations(r.trace)[0], pass = layer.passes[0][0]
        let rH2 = RecurrentLayer.slice(rH, 0)
        let eps: Float = 1e-2
        for t in 0..<T {
            let h = Tensor(shape: [B, H], scalars: Array(p.outputs.scalars[(t * B * H)..<((t + 1) * B * H)]))
            let c = p.cells.map { Tensor(shape: [B, H], scalars: Array($0.scalars[(t * B * H)..<((t + 1) * B * H)])) }
            var squares = 0.0
            for i in 0..<(B * H) {
                var plus = h, minus = h
                plus.scalars[i] += eps
                minus.scalars[i] -= eps
                let g = (Self.lossFrom(pass, x: x, from: t, h: plus, c: c, rOut: rOut, rH: rH2)
                         - Self.lossFrom(pass, x: x, from: t, h: minus, c: c, rOut: rOut, rH: rH2)) / (2 * Double(eps))
                squares += g * g
            }
            let numeric = squares.squareRoot(), analytic = measured.stateGradientNorms[0][t]
            #expect(abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(numeric), "\(cell) t=\(t): |dL/dh_t| \(analytic) vs \(numeric)")
        }
    }

    @Test("the norms are right on the two-thread time loop too (a large LSTM, checked by re-running from each state)")
    func stateGradientNormsOnTheSplitLoop() {
        let T = 5, B = 4, I = 8, H = 256
        var rng = SeededRNG(seed: 9)
        let layer = RecurrentLayer(cell: .lstm, inputSize: I, hiddenSize: H, rng: &rng)
        #expect(RecurrentPass.worthSplitting(B: B, G: 4, H: H))
        let x = randomTensor([T, B, I], seed: 10), rOut = randomTensor([T, B, H], seed: 11)
        let r = layer.forward(x)
        let norms = layer.backwardMeasuringStateGradients(r.trace, gradOutput: rOut).stateGradientNorms[0]
        let p = layer.activations(r.trace)[0], pass = layer.passes[0][0]
        for t in [0, 2, T - 1] {
            // dL/dh_t = r_out[t] + the gradient for the initial state of a run that starts from (h_t, c_t).
            var total = Tensor(shape: [B, H], scalars: Array(rOut.scalars[(t * B * H)..<((t + 1) * B * H)]))
            if t + 1 < T {
                let h = Tensor(shape: [B, H], scalars: Array(p.outputs.scalars[(t * B * H)..<((t + 1) * B * H)]))
                let c = Tensor(shape: [B, H], scalars: Array(p.cells!.scalars[(t * B * H)..<((t + 1) * B * H)]))
                let rest = Tensor(shape: [T - t - 1, B, I], scalars: Array(x.scalars[((t + 1) * B * I)...]))
                let f = pass.forward(rest, lengths: nil, h0: h, c0: c)
                let dy = Tensor(shape: [T - t - 1, B, H], scalars: Array(rOut.scalars[((t + 1) * B * H)...]))
                let b = pass.backward(f.trace, gradOutput: dy, gradH: .zeros([B, H]), gradC: .zeros([B, H]))
                for i in 0..<(B * H) { total.scalars[i] += b.gradInitial.h.scalars[i] }
            }
            let expected = total.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norms[t] - expected) <= 1e-4 * expected, "t=\(t): \(norms[t]) vs \(expected)")
        }
    }

    /// A character LSTM whose unit 5 counts the characters since the last newline:
    /// input and output gates open, candidate 0.1, forget gate shut only by "\n".
    static func plantedModel() -> LanguageModel {
        let vocabulary = Vocabulary(tokens: ["\n", " ", "a", "b", "c", "d", "e"])
        let V = vocabulary.count, H = 8, u = 5
        var rng = SeededRNG(seed: 12)
        let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: V, embeddingSize: V, hiddenSize: H, layers: 1, dropout: 0)
        let model = LanguageModel(config: config, vocabulary: vocabulary, rng: &rng)
        model.embedding.weight.value = Tensor(shape: [V, V], scalars: (0..<(V * V)).map { $0 / V == $0 % V ? 1 : 0 })
        let pass = model.rnn.passes[0][0]
        for gate in 0..<4 {
            let row = gate * H + u
            for k in 0..<V { pass.weightIH.value[row, k] = 0 }
            for k in 0..<H { pass.weightHH.value[row, k] = 0 }
            pass.biasHH.value[row] = 0
            pass.biasIH.value[row] = [10, 10, 0.1, 10][gate]
        }
        pass.weightIH.value[1 * H + u, vocabulary.id("\n")!] = -20        // f ≈ 0 at a newline
        return model
    }

    @Test("the unit ranking finds a unit planted to count the position in the line")
    func rankingFindsPlantedUnit() {
        var rng = SeededRNG(seed: 13)
        let letters = ["a", "b", "c", "d", "e", " "]
        let text = (0..<30).map { _ in (0..<(3 + rng.nextInt(below: 25))).map { _ in letters[rng.nextInt(below: 6)] }.joined() }.joined(separator: "\n")
        let recording = ActivationRecording(Self.plantedModel(), text: text)
        #expect(recording.stepCount == text.unicodeScalars.count)
        let page = ActivationsPage(recording: recording, modelDescription: "planted", textDescription: "synthetic")
        let ranking = page.ranking()
        let position = ranking.first { $0.property == "position in line" }
        let best = position?.units.first
        #expect(best?.quantity == "c" && best?.unit == 5 && best?.pass == "layer 1", "best unit for the position in the line: \(String(describing: best))")
        #expect((best?.correlation ?? 0) > 0.9, "r = \(best?.correlation ?? 0)")
        // No other unit comes close.
        #expect(position!.units.dropFirst().allSatisfy { abs($0.correlation) < 0.9 && $0.unit != 5 || $0.quantity == "h" && $0.unit == 5 })
    }

    @Test("a word-level model reads an unknown word as <unk>, marked; a character model without <unk> skips it")
    func unknownTokensAreMarked() {
        var rng = SeededRNG(seed: 14)
        let words = Vocabulary(tokens: [Vocabulary.unknown, Vocabulary.endOfSentence, "the", "cat"])
        let config = LanguageModelConfig(level: .word, cell: .gru, vocabularySize: 4, embeddingSize: 3, hiddenSize: 4, layers: 2, dropout: 0)
        let w = ActivationRecording(LanguageModel(config: config, vocabulary: words, rng: &rng), text: "the dog\ncat")
        #expect(w.tokens == ["the", "dog", "<eos>", "cat", "<eos>"] && w.known == [true, false, true, true, true])
        #expect(w.step == [0, 1, 2, 3, 4] && w.stepCount == 5 && w.passes.count == 2 && w.passes[0].cells == nil)
        let c = ActivationRecording(Self.plantedModel(), text: "ab?c")
        #expect(c.known == [true, true, false, true] && c.step == [0, 1, nil, 2] && c.stepCount == 3)
        let html = ActivationsPage(recording: w, modelDescription: "m", textDescription: "t").page.html
        #expect(html.contains("1 token(s) outside the model's vocabulary</b>, marked with a black box (read as &lt;unk&gt;)"))
        // Words of one letter are still words: shown with spaces between them (before: "ab" from "a b").
        let letters = Vocabulary(tokens: [Vocabulary.unknown, Vocabulary.endOfSentence, "a", "b"])
        let one = LanguageModelConfig(level: .word, cell: .gru, vocabularySize: 4, embeddingSize: 3, hiddenSize: 4, layers: 1, dropout: 0)
        let ab = ActivationRecording(LanguageModel(config: one, vocabulary: letters, rng: &rng), tokens: ["a", "b"])
        #expect(ab.tokens == ["a", "b"] && ab.wordLevel == true)
        #expect(ActivationsPage(recording: ab, modelDescription: "m", textDescription: "t").page.html.contains(#"["a ","b "]"#))
    }

    @Test func textPropertiesMarkQuotesBracketsAndColumns() {
        let props = Dictionary(uniqueKeysWithValues: TextProperties.of(["a", "\"", "b", "\"", "(", "c", ")", "\n", "D"]).map { ($0.name, $0.values) })
        #expect(props["inside quotes"] == [0, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(props["inside brackets"] == [0, 0, 0, 0, 1, 1, 1, 0, 0])
        #expect(props["position in line"] == [1, 2, 3, 4, 5, 6, 7, 0, 1])
        #expect(props["starts with a capital"]?.last == 1)
    }

    @Test func gateSaturationCountsShutAndOpenSteps() {
        let T = 4, H = 2
        var gates = Tensor.zeros([T, 1, 4 * H])
        for t in 0..<T { gates[t, 0, 1 * H + 0] = [0.05, 0.95, 0.5, 0.99][t] }    // forget gate of unit 0
        let p = PassActivations(layer: 0, direction: 0, cell: .lstm, gates: gates, cells: .zeros([T, 1, H]), outputs: .zeros([T, 1, H]))
        let f = GateSaturation.measure([p]).first { $0.gate == "f" }!
        #expect(f.units[0].leftFraction == 0.25 && f.units[0].rightFraction == 0.5)
    }

    @Test("the metrics reader skips broken lines, counts them and names their line numbers")
    func metricsLogSkipsBrokenLines() throws {
        let dir = TrainerTests.tempDir()
        let path = dir + "/m.jsonl"
        try """
        {"step":1,"loss":2.5,"time":0.1}
        {"step":2,"loss":
        not json at all

        {"step":3,"loss":null,"valid_loss":2.0}
        [1, 2]
        {"loss":1}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let log = try MetricsLog(contentsOf: path)
        #expect(log.records.count == 2)
        #expect(log.skipped.map(\.line) == [2, 3, 6, 7])
        #expect(log.skipped.map(\.reason) == ["not valid JSON", "not valid JSON", "not a JSON object", "no \"step\""])
        #expect(log.records[1]["loss"]!.isNaN && log.metricNames == ["loss", "valid_loss"])
        try "garbage\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DataError.self) { try MetricsLog(contentsOf: path) }
    }
}
