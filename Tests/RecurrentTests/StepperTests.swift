import CKernels
import Testing
@testable import Recurrent

/// The batch-1 generation path agrees with the general one.
@Suite struct StepperTests {
    @Test("gemv matches the oracle", arguments: CPU.supportedISAs.map(\.rawValue))
    func gemvMatchesOracle(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        for (m, k) in [(1, 1), (3, 5), (4, 16), (7, 33), (65, 512), (2048, 512), (13, 1000)] {
            let lda = k + 3
            let a = randomTensor([m * lda], seed: 1), x = randomTensor([k], seed: 2), y0 = randomTensor([m], seed: 3)
            for beta: Float in [0, 1] {
                var expected = y0, actual = y0, threaded = y0
                a.withUnsafeBufferPointer { pa in
                    x.withUnsafeBufferPointer { px in
                        expected.withUnsafeMutableBufferPointer { pe in
                            naiveGEMM(transA: false, transB: false, m: m, n: 1, k: k, alpha: 1, a: pa.baseAddress!, lda: lda,
                                      b: px.baseAddress!, ldb: 1, beta: beta, c: pe.baseAddress!, ldc: 1)
                        }
                        actual.withUnsafeMutableBufferPointer { py in
                            ck_sgemv(isa, m, k, pa.baseAddress!, lda, px.baseAddress!, beta, py.baseAddress!)
                        }
                        threaded.withUnsafeMutableBufferPointer { py in
                            gemv(m: m, k: k, a: pa.baseAddress!, lda: lda, x: px.baseAddress!, beta: beta, y: py.baseAddress!)
                        }
                    }
                }
                let tol = 2e-5 * Float(k).squareRoot() * 2
                expectClose(actual, expected, atol: tol, "gemv \(CPU.name(of: isa)) \(m)x\(k) beta \(beta)")
                expectClose(threaded, expected, atol: tol, "threaded gemv \(m)x\(k) beta \(beta)")
            }
        }
    }

    @Test("stepping one token at a time equals the sequence layer", arguments: CellKind.allCases)
    func stepperMatchesSequenceLayer(cell: CellKind) {
        var rng = SeededRNG(seed: 4)
        let layer = RecurrentLayer(cell: cell, inputSize: 5, hiddenSize: 7, layers: 3, rng: &rng)
        let x = randomTensor([6, 1, 5], seed: 5)
        let h0 = randomTensor([3, 1, 7], seed: 6, scale: 0.5), c0 = randomTensor([3, 1, 7], seed: 7, scale: 0.5)
        let initial = RecurrentState(h: h0, c: cell.hasCellState ? c0 : nil)
        let full = layer.forward(x, initial: initial)
        let stepper = RecurrentStepper(layer: layer)
        stepper.reset(to: initial)
        for t in 0..<6 {
            let top = x.withUnsafeBufferPointer { stepper.step(input: $0.baseAddress! + t * 5) }
            let expected = Tensor(shape: [7], scalars: Array(full.output.scalars[(t * 7)..<((t + 1) * 7)]))
            expectClose(Tensor(shape: [7], scalars: Array(UnsafeBufferPointer(start: top, count: 7))), expected, "\(cell) step \(t)")
        }
        expectClose(stepper.state.h, full.final.h, "\(cell) final h")
        if cell.hasCellState { expectClose(stepper.state.c!, full.final.c!, "\(cell) final c") }
    }

    @Test func generatorLogitsEqualTheModelsLogits() throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_swift_lm")))
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        let expected = model.logits(inputs: ids, T: ids.count, B: 1).logits
        let generator = TokenGenerator(model)
        let V = model.config.vocabularySize
        for (t, id) in ids.enumerated() {
            let row = Tensor(shape: [1, V], scalars: Array(expected.scalars[(t * V)..<((t + 1) * V)]))
            expectClose(generator.next(id), row, "logits after token \(t)")
        }
    }
}
