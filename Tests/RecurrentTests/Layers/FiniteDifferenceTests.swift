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
        var rng = SeededRNG(seed: 5)
        let layer = RecurrentLayer(cell: cell, inputSize: 3, hiddenSize: 2, layers: 2, bidirectional: true, dropout: 0.3, rng: &rng)
        Self.checkRecurrentLayer(layer, T: 4, B: 2, lengths: [4, 2], seed: 6, maskSeed: 99, what: "\(cell)")
    }

    /// Checks every gradient of `layer` (its input, initial state and
    /// parameters) against central differences of `L = Σ out·r_out + Σ h_n·r_h
    /// (+ Σ c_n·r_c)` in training mode, with random inputs from `seed` and the
    /// dropout masks of `maskSeed`, drawn afresh (the same) for every run.
    /// Returns the trace of the first run.
    @discardableResult
    static func checkRecurrentLayer(_ layer: RecurrentLayer, T: Int, B: Int, lengths: [Int], seed: UInt64, maskSeed: UInt64,
                                    what: String) -> RecurrentLayer.Trace {
        let I = layer.inputSize, H = layer.hiddenSize, LD = layer.layerCount * layer.directionCount, lstm = layer.cell.hasCellState
        let x = Box(randomTensor([T, B, I], seed: seed))
        let h0 = Box(randomTensor([LD, B, H], seed: seed + 1, scale: 0.5)), c0 = Box(randomTensor([LD, B, H], seed: seed + 2, scale: 0.5))
        let rOut = randomTensor([T, B, layer.outputSize], seed: seed + 3), rH = randomTensor([LD, B, H], seed: seed + 4)
        let rC = randomTensor([LD, B, H], seed: seed + 5)

        func run() -> (Double, RecurrentLayer.Trace) {
            var masks = SeededRNG(seed: maskSeed)                    // the same masks every time
            let r = layer.forward(x.t, lengths: lengths, initial: RecurrentState(h: h0.t, c: lstm ? c0.t : nil), training: true, rng: &masks)
            var loss = 0.0
            for i in 0..<r.output.count { loss += Double(r.output.scalars[i]) * Double(rOut.scalars[i]) }
            for i in 0..<r.final.h.count { loss += Double(r.final.h.scalars[i]) * Double(rH.scalars[i]) }
            if let c = r.final.c { for i in 0..<c.count { loss += Double(c.scalars[i]) * Double(rC.scalars[i]) } }
            return (loss, r.trace)
        }

        let (_, trace) = run()
        layer.zeroGradients()
        let g = layer.backward(trace, gradOutput: rOut, gradFinal: RecurrentState(h: rH, c: lstm ? rC : nil))
        let check = FiniteDifferenceTests()
        check.checkElements(x, analytic: g.gradInput, what: "\(what) x") { run().0 }
        check.checkElements(h0, analytic: g.gradInitial.h, what: "\(what) h0") { run().0 }
        if lstm { check.checkElements(c0, analytic: g.gradInitial.c!, what: "\(what) c0") { run().0 } }
        for (name, p) in layer.namedParameters {
            let box = Box(p.value)
            check.checkElements(box, analytic: p.grad, what: "\(what) \(name)") { p.value = box.t; return run().0 }
            p.value = box.t
        }
        return trace
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
