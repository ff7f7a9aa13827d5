import Testing
@testable import Recurrent

/// The seeds' stories, trained for real: "hell" -> "ello", and the long-range
/// memory that gates buy over a vanilla RNN.
@Suite struct LearningTests {
    /// A recurrent layer and a linear read-out, trained with Adam and global-norm clipping.
    final class Model {
        let rnn: RecurrentLayer
        let head: Linear
        var optimizer: Adam
        init(cell: CellKind, input: Int, hidden: Int, classes: Int, learningRate: Float, seed: UInt64) {
            var rng = SeededRNG(seed: seed)
            rnn = RecurrentLayer(cell: cell, inputSize: input, hiddenSize: hidden, rng: &rng)
            head = Linear(inputSize: hidden, outputSize: classes, rng: &rng)
            optimizer = Adam(parameters: prefixed("rnn", rnn) + prefixed("head", head), learningRate: learningRate)
        }

        /// Logits per step (`perStep`) or from the last step only; `x` is `[T, B, I]`.
        func trainStep(_ x: Tensor, targets: [Int], perStep: Bool) -> Float {
            rnn.zeroGradients(); head.zeroGradients()
            let T = x.shape[0], B = x.shape[1], H = rnn.hiddenSize
            let r = rnn.forward(x)
            let features = perStep ? r.output.reshaped([T * B, H]) : RecurrentLayer.slice(r.final.h, 0)
            let out = head.forward(features)
            let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
            let dFeatures = head.backward(out.trace, gradOutput: ce.gradient)
            if perStep {
                _ = rnn.backward(r.trace, gradOutput: dFeatures.reshaped([T, B, H]))
            } else {
                _ = rnn.backward(r.trace, gradOutput: .zeros([T, B, H]), gradFinal: RecurrentState(
                    h: dFeatures.reshaped([1, B, H]), c: rnn.cell.hasCellState ? .zeros([1, B, H]) : nil))
            }
            GradientClipping.clipByGlobalNorm(rnn.parameters + head.parameters, maxNorm: 5)
            optimizer.step()
            return ce.loss
        }

        func predict(_ x: Tensor, perStep: Bool) -> [Int] {
            let T = x.shape[0], B = x.shape[1], H = rnn.hiddenSize
            let r = rnn.forward(x)
            let features = perStep ? r.output.reshaped([T * B, H]) : RecurrentLayer.slice(r.final.h, 0)
            let logits = head.forward(features).output
            let V = logits.shape[1]
            return (0..<logits.shape[0]).map { n in
                let row = logits.scalars[(n * V)..<((n + 1) * V)]
                return row.indices.max { row[$0] < row[$1] }! - n * V
            }
        }
    }

    static func oneHot(_ ids: [[Int]], size: Int) -> Tensor {   // ids[t][b]
        var x = Tensor.zeros([ids.count, ids[0].count, size])
        for (t, row) in ids.enumerated() { for (b, id) in row.enumerated() { x[t, b, id] = 1 } }
        return x
    }

    @Test("'hell' -> 'ello' reaches 100% with every cell", arguments: CellKind.allCases)
    func helloReachesFullAccuracy(cell: CellKind) {
        let chars: [Character] = ["h", "e", "l", "o"]
        let input = "hell".map { chars.firstIndex(of: $0)! }, target = "ello".map { chars.firstIndex(of: $0)! }
        let x = Self.oneHot(input.map { [$0] }, size: 4)
        let model = Model(cell: cell, input: 4, hidden: 16, classes: 4, learningRate: 0.05, seed: 1)
        var loss: Float = 0
        for _ in 0..<150 { loss = model.trainStep(x, targets: target, perStep: true) }
        let predicted = String(model.predict(x, perStep: true).map { chars[$0] })
        #expect(predicted == "ello", "\(cell) predicts '\(predicted)' after training (loss \(loss))")
    }

    /// Step 0 shows one of 4 symbols, then `distractors` random symbols (4
    /// others) follow; the class is the first symbol, read from the final state.
    static func recallBatch(batch B: Int, distractors: Int, rng: inout SeededRNG) -> (Tensor, [Int]) {
        LongRangeRecall.batch(B, distractors: distractors, rng: &rng)
    }

    /// Trains 300 steps of batch 32 on recall across 50 distractors; returns held-out accuracy.
    static func recallAccuracy(cell: CellKind) -> Double {
        let model = Model(cell: cell, input: 8, hidden: 32, classes: 4, learningRate: 0.01, seed: 2)
        if cell == .lstm || cell == .gru {
            var initRNG = SeededRNG(seed: 9)
            model.rnn.chronoInitialize(maxDelay: 50, rng: &initRNG)
        }
        var rng = SeededRNG(seed: 3)
        for _ in 0..<300 {
            let (x, y) = recallBatch(batch: 32, distractors: 50, rng: &rng)
            _ = model.trainStep(x, targets: y, perStep: false)
        }
        var test = SeededRNG(seed: 4)
        let (x, y) = recallBatch(batch: 400, distractors: 50, rng: &test)
        let predicted = model.predict(x, perStep: false)
        return Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
    }

    @Test("LSTM and GRU (chrono-initialised) recall a symbol across 50 steps", arguments: [CellKind.lstm, .gru])
    func gatedCellsRememberAcross50Steps(cell: CellKind) {
        let accuracy = Self.recallAccuracy(cell: cell)
        #expect(accuracy >= 0.95, "\(cell) recall accuracy \(accuracy)")
    }

    /// Chance is 0.25. Measured: 0.49 — a few tanh units saturate at ±1 and
    /// latch one bit of the first symbol (blanking step 0 gives 0.26), but
    /// the gradient that would teach it the rest has vanished (next test).
    @Test("the vanilla RNN fails the same task")
    func vanillaRNNFailsAcross50Steps() {
        let accuracy = Self.recallAccuracy(cell: .rnnTanh)
        #expect(accuracy <= 0.55, "RNN recall accuracy \(accuracy); chance is 0.25")
    }

    /// |dL/dx_0| / |dL/dx_T| for a loss on the final state, over T = 51 steps of the recall data.
    static func gradientRatio(cell: CellKind, chrono: Bool) -> Double {
        var rng = SeededRNG(seed: 21)
        let layer = RecurrentLayer(cell: cell, inputSize: 8, hiddenSize: 32, rng: &rng)
        if chrono { layer.chronoInitialize(maxDelay: 50, rng: &rng) }
        let (x, _) = recallBatch(batch: 16, distractors: 50, rng: &rng)
        let r = layer.forward(x)
        let dh = randomTensor([1, 16, 32], seed: 22)
        let g = layer.backward(r.trace, gradOutput: .zeros(r.output.shape),
                               gradFinal: RecurrentState(h: dh, c: cell.hasCellState ? .zeros([1, 16, 32]) : nil)).gradInput
        let n = 16 * 8
        func norm(_ t: Int) -> Double { (0..<n).reduce(0.0) { $0 + Double(g.scalars[t * n + $1] * g.scalars[t * n + $1]) }.squareRoot() }
        return norm(0) / norm(50)
    }

    @Test func gradientsVanishAcross50StepsUnlessGatesKeepThem() {
        let rnn = Self.gradientRatio(cell: .rnnTanh, chrono: false)
        let lstmDefault = Self.gradientRatio(cell: .lstm, chrono: false)
        let lstmChrono = Self.gradientRatio(cell: .lstm, chrono: true)
        let gruChrono = Self.gradientRatio(cell: .gru, chrono: true)
        #expect(rnn < 1e-8, "RNN gradient ratio \(rnn)")
        #expect(lstmDefault < 1e-6, "LSTM (PyTorch init) gradient ratio \(lstmDefault)")
        #expect(lstmChrono > 1e-3, "LSTM (chrono init) gradient ratio \(lstmChrono)")
        #expect(gruChrono > 1e-3, "GRU (chrono init) gradient ratio \(gruChrono)")
    }
}
