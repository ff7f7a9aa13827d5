import Testing
@testable import Recurrent

/// Analytic gradients agree with central finite differences of a loss summed
/// in Double, on tiny sizes: an independent check beside the PyTorch fixtures.
@Suite struct FiniteDifferenceTests {
    /// Inputs the loss reads, held in a box so the loss closure and the perturbation can share them.
    final class Box { var t: Tensor; init(_ t: Tensor) { self.t = t } }

    /// Compares `analytic` with `(L(v + eps) - L(v - eps)) / 2eps` for every element of `value`.
    func checkElements(_ value: Box, analytic: Tensor, what: String, eps: Float = 2e-3, loss: () -> Double) {
        for i in 0..<value.t.count {
            let saved = value.t.scalars[i]
            value.t.scalars[i] = saved + eps
            let plus = loss()
            value.t.scalars[i] = saved - eps
            let minus = loss()
            value.t.scalars[i] = saved
            let numeric = (plus - minus) / (2 * Double(eps))
            let a = Double(analytic.scalars[i])
            #expect(abs(numeric - a) <= 2e-3 + 1e-2 * abs(a), "\(what)[\(i)]: analytic \(a), numeric \(numeric)")
        }
    }

    @Test("recurrent stack gradients match finite differences", arguments: CellKind.allCases)
    func recurrentGradients(cell: CellKind) {
        let T = 4, B = 2, I = 3, H = 2, L = 2
        var rng = SeededRNG(seed: 5)
        let layer = RecurrentLayer(cell: cell, inputSize: I, hiddenSize: H, layers: L, bidirectional: true, dropout: 0.3, rng: &rng)
        let x = Box(randomTensor([T, B, I], seed: 6))
        let h0 = Box(randomTensor([L * 2, B, H], seed: 7, scale: 0.5))
        let c0 = Box(randomTensor([L * 2, B, H], seed: 8, scale: 0.5))
        let rOut = randomTensor([T, B, 2 * H], seed: 9), rH = randomTensor([L * 2, B, H], seed: 10)
        let rC = randomTensor([L * 2, B, H], seed: 11)
        let lengths = [4, 2]

        func run() -> (Double, RecurrentLayer.Trace, RecurrentState) {
            var dropoutRNG = SeededRNG(seed: 99)                     // the same mask every time
            let initial = RecurrentState(h: h0.t, c: cell.hasCellState ? c0.t : nil)
            let r = layer.forward(x.t, lengths: lengths, initial: initial, training: true, rng: &dropoutRNG)
            var loss = 0.0
            for i in 0..<r.output.count { loss += Double(r.output.scalars[i]) * Double(rOut.scalars[i]) }
            for i in 0..<r.final.h.count { loss += Double(r.final.h.scalars[i]) * Double(rH.scalars[i]) }
            if let c = r.final.c { for i in 0..<c.count { loss += Double(c.scalars[i]) * Double(rC.scalars[i]) } }
            return (loss, r.trace, r.final)
        }

        let (_, trace, _) = run()
        layer.zeroGradients()
        let g = layer.backward(trace, gradOutput: rOut, gradFinal: RecurrentState(h: rH, c: cell.hasCellState ? rC : nil))
        checkElements(x, analytic: g.gradInput, what: "\(cell) x") { run().0 }
        checkElements(h0, analytic: g.gradInitial.h, what: "\(cell) h0") { run().0 }
        if cell.hasCellState { checkElements(c0, analytic: g.gradInitial.c!, what: "\(cell) c0") { run().0 } }
        for (name, p) in layer.namedParameters {
            let box = Box(p.value)
            checkElements(box, analytic: p.grad, what: "\(cell) \(name)") { p.value = box.t; return run().0 }
            p.value = box.t
        }
    }

    @Test func crossEntropyAndLinearGradients() {
        var rng = SeededRNG(seed: 12)
        let linear = Linear(inputSize: 3, outputSize: 5, rng: &rng)
        let x = Box(randomTensor([4, 3], seed: 13))
        let targets = [0, 4, -100, 2]                                 // one ignored row
        func loss(_ x: Tensor) -> (Double, Linear.Trace, Tensor) {
            let r = linear.forward(x)
            let ce = CrossEntropy.lossAndGradient(logits: r.output, targets: targets)
            return (Double(ce.loss), r.trace, ce.gradient)
        }
        let (_, trace, dLogits) = loss(x.t)
        let dx = linear.backward(trace, gradOutput: dLogits)
        checkElements(x, analytic: dx, what: "x") { loss(x.t).0 }
        for (name, p) in linear.namedParameters {
            let box = Box(p.value)
            checkElements(box, analytic: p.grad, what: name) { p.value = box.t; return loss(x.t).0 }
            p.value = box.t
        }
    }

    @Test func crossEntropyValueIsMinusLogSoftmax() {
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 0, -1000])
        let r = CrossEntropy.lossAndGradient(logits: logits, targets: [2, 0], reduction: .sum)
        let expected = -(3 - log(exp(1.0) + exp(2.0) + exp(3.0)))   // second row: softmax is 1 at the target
        #expect(abs(Double(r.loss) - expected) < 1e-5)
        #expect(r.counted == 2)
        #expect(r.gradient.scalars.allSatisfy { $0.isFinite })
    }
}

import Foundation
