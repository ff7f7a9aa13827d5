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

    @Test func gemvPairMatchesTwoProducts() {
        for (m, k1, k2) in [(2048, 512, 512), (7, 3, 5), (300, 1000, 20)] {
            let a1 = randomTensor([m * k1], seed: 1), a2 = randomTensor([m * k2], seed: 2)
            let x1 = randomTensor([k1], seed: 3), x2 = randomTensor([k2], seed: 4), y0 = randomTensor([m], seed: 5)
            var y1 = y0, y2 = y0, e1 = y0, e2 = y0
            a1.withUnsafeBufferPointer { p1 in a2.withUnsafeBufferPointer { p2 in
            x1.withUnsafeBufferPointer { q1 in x2.withUnsafeBufferPointer { q2 in
                y1.withUnsafeMutableBufferPointer { r1 in y2.withUnsafeMutableBufferPointer { r2 in
                    gemvPair(m: m, k1: k1, a1: p1.baseAddress!, x1: q1.baseAddress!, y1: r1.baseAddress!,
                             k2: k2, a2: p2.baseAddress!, x2: q2.baseAddress!, y2: r2.baseAddress!, beta: 1)
                }}
                e1.withUnsafeMutableBufferPointer { r in
                    naiveGEMM(transA: false, transB: false, m: m, n: 1, k: k1, alpha: 1, a: p1.baseAddress!, lda: k1,
                              b: q1.baseAddress!, ldb: 1, beta: 1, c: r.baseAddress!, ldc: 1)
                }
                e2.withUnsafeMutableBufferPointer { r in
                    naiveGEMM(transA: false, transB: false, m: m, n: 1, k: k2, alpha: 1, a: p2.baseAddress!, lda: k2,
                              b: q2.baseAddress!, ldb: 1, beta: 1, c: r.baseAddress!, ldc: 1)
                }
            }}}}
            expectClose(y1, e1, atol: 1e-3, "gemvPair first \(m)x\(k1)")
            expectClose(y2, e2, atol: 1e-3, "gemvPair second \(m)x\(k2)")
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
        stepper.team = WorkTeam()           // nil on one thread: both paths are correct
        stepper.reset(to: initial)
        for t in 0..<6 {
            let top = x.withUnsafeBufferPointer { stepper.step(input: $0.baseAddress! + t * 5) }
            let expected = Tensor(shape: [7], scalars: Array(full.output.scalars[(t * 7)..<((t + 1) * 7)]))
            expectClose(Tensor(shape: [7], scalars: Array(UnsafeBufferPointer(start: top, count: 7))), expected, "\(cell) step \(t)")
        }
        expectClose(stepper.state.h, full.final.h, "\(cell) final h")
        if cell.hasCellState { expectClose(stepper.state.c!, full.final.c!, "\(cell) final c") }
    }

    @Test("the public step over an array gives exactly the pointer step's outputs and state", arguments: CellKind.allCases)
    func arrayStepEqualsPointerStep(cell: CellKind) {
        var rng = SeededRNG(seed: 8)
        let layer = RecurrentLayer(cell: cell, inputSize: 5, hiddenSize: 7, layers: 2, rng: &rng)
        let x = randomTensor([6, 1, 5], seed: 9)
        let byPointer = RecurrentStepper(layer: layer), byArray = RecurrentStepper(layer: layer)
        for t in 0..<6 {
            let row = Array(x.scalars[(t * 5)..<((t + 1) * 5)])
            let expected = row.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: byPointer.step(input: $0.baseAddress!), count: 7)) }
            #expect(byArray.step(row) == expected, "\(cell) step \(t)")
        }
        #expect(byArray.state == byPointer.state)
    }

    @Test func generatorLogitsEqualTheModelsLogits() throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_swift_lm")))
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        let expected = model.logits(inputs: ids, steps: ids.count, batch: 1).logits
        let generator = TokenGenerator(model)
        let V = model.config.vocabularySize
        for (t, id) in ids.enumerated() {
            let row = Tensor(shape: [1, V], scalars: Array(expected.scalars[(t * V)..<((t + 1) * V)]))
            expectClose(generator.next(id), row, "logits after token \(t)")
        }
    }

    @Test func withoutTheFoldedTableEachTokensRowIsComputedAndTheLogitsAgree() throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_swift_lm")))
        let folded = TokenGenerator(model)
        // A vocabulary too large to fold (here: a limit of 0 floats) computes each row as it is fed.
        let unfolded = TokenGenerator(embedding: model.embedding, rnn: model.rnn, head: model.head, foldLimit: 0)
        #expect(folded.table != nil && unfolded.table == nil)
        for id in [3, 1, 4, 1, 5, 9, 2, 6] {
            let a = folded.next(id), b = unfolded.next(id)
            #expect(a.maxAbsDifference(b) <= 1e-5, "token \(id)")
        }
    }
}
