import Foundation
import Testing
@testable import Recurrent

/// The layer-normalised LSTM (``LSTMLayerNorm``): gradients by finite
/// differences, outputs and every gradient against a PyTorch autograd loop
/// (Scripts/make_torch_fixtures.py, `layer_norm_lstm`; PyTorch has no LN-LSTM
/// module), the step-by-step generation path against the sequence layer, and
/// its parameters' names and count.
@Suite struct LayerNormLSTMTests {
    /// A layer-normalised stack with gains and biases away from 1 and 0, so
    /// each one's place in the equations matters.
    static func layer(layers: Int, bidirectional: Bool, I: Int, H: Int, recurrentDropout: Float = 0) -> RecurrentLayer {
        var rng = SeededRNG(seed: 61)
        let layer = RecurrentLayer(cell: .lstm, inputSize: I, hiddenSize: H, layers: layers, bidirectional: bidirectional,
                                   recurrentDropout: recurrentDropout, layerNorm: true, rng: &rng)
        for (name, p) in layer.namedParameters where name.contains("_ln_") {
            let shift: Float = name.hasPrefix("weight") ? 1 : 0
            p.value = Tensor(shape: p.shape, scalars: p.value.scalars.map { _ in shift + rng.nextFloat(in: -0.4..<0.4) })
        }
        return layer
    }

    @Test("layer-normalised LSTM gradients match finite differences (uni/bi, 2 layers, ragged, with recurrent dropout)",
          arguments: [(false, Float(0)), (true, Float(0.4))])
    func gradientsMatchFiniteDifferences(bidirectional: Bool, recurrentDropout: Float) {
        let layer = Self.layer(layers: 2, bidirectional: bidirectional, I: 3, H: 3, recurrentDropout: recurrentDropout)
        FiniteDifferenceTests.checkRecurrentLayer(layer, T: 4, B: 3, lengths: [4, 1, 3], seed: 62, maskSeed: 97,
                                                  what: "LN-LSTM \(bidirectional ? "bi" : "uni") p=\(recurrentDropout)")
    }

    /// Within 1e-4 absolute + relative, not the plain cells' 1e-5: dividing by
    /// a row's standard deviation amplifies float32 rounding (the builtin and
    /// OpenBLAS products, which differ only in summation order, already
    /// disagree by up to 2e-4 relative on a few gradients of this H = 8 stack).
    @Test("outputs and every gradient agree with a PyTorch autograd LN-LSTM loop", arguments: GEMMBackend.available)
    func matchesPyTorchLoop(backend: GEMMBackend) throws {
        let file = try fixture("layer_norm_lstm")
        for (layers, bi, ragged, given, dropout) in [(1, false, false, false, false), (2, true, true, true, false),
                                                     (2, false, true, true, true), (1, true, false, false, true)] {
            let name = RecurrentParityTests.comboName((layers, bi, ragged, given)) + (dropout ? "_dropout" : "")
            let f = { (key: String) throws -> Tensor in try file.tensor("\(name)/\(key)") }
            let x = try f("x")
            var rng = SeededRNG(seed: 1)
            let layer = RecurrentLayer(cell: .lstm, inputSize: x.shape[2], hiddenSize: try f("h_n").shape[2], layers: layers,
                                       bidirectional: bi, recurrentDropout: dropout ? 0.4 : 0, layerNorm: true, rng: &rng)
            let masks = dropout ? try layer.passes.map { try $0.map { try f("mask" + $0.suffix) } } : nil
            try RecurrentParityTests.expectMatchesFixture(layer, f, ragged: ragged, given: given, masks: masks, backend: backend,
                                                          atol: 1e-4, rtol: 1e-4, what: "LN-LSTM \(name) \(backend)")
        }
    }

    /// Generation runs the layer one step at a time through ``RecurrentStepper``:
    /// the same states as the sequence layer's forward.
    @Test func stepperFollowsTheSequenceLayer() {
        let T = 6, I = 5, H = 7
        let layer = Self.layer(layers: 2, bidirectional: false, I: I, H: H)
        let x = randomTensor([T, 1, I], seed: 68)
        let initial = RecurrentState(h: randomTensor([2, 1, H], seed: 69), c: randomTensor([2, 1, H], seed: 70))
        let reference = layer.forward(x, initial: initial)
        let stepper = RecurrentStepper(layer: layer)
        stepper.reset(to: initial)
        for t in 0..<T {
            let top = x.scalars.withUnsafeBufferPointer { stepper.step(input: $0.baseAddress! + t * I) }
            let row = Tensor(shape: [H], scalars: Array(UnsafeBufferPointer(start: top, count: H)))
            expectClose(row, Tensor(shape: [H], scalars: Array(reference.output.scalars[(t * H)..<((t + 1) * H)])), "step \(t)")
        }
        expectClose(stepper.state.h, reference.final.h, "final h")
        expectClose(stepper.state.c!, reference.final.c!, "final c")
    }

    @Test func parametersAreNamedAndCounted() {
        let layer = Self.layer(layers: 2, bidirectional: true, I: 3, H: 4)
        let names = layer.passes[1][1].namedParameters.map(\.name)
        #expect(names == ["weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
                          "weight_ln_ih_l1_reverse", "bias_ln_ih_l1_reverse", "weight_ln_hh_l1_reverse", "bias_ln_hh_l1_reverse",
                          "weight_ln_c_l1_reverse", "bias_ln_c_l1_reverse"])
        #expect(layer.passes[0][0].layerNorm!.gainIH.shape == [16] && layer.passes[0][0].layerNorm!.gainC.shape == [4])
        #expect(ParameterCount.recurrent(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, layerNorm: true)
                == layer.namedParameters.reduce(0) { $0 + $1.parameter.value.count })
        var rng = SeededRNG(seed: 1)
        let fresh = RecurrentLayer(cell: .lstm, inputSize: 3, hiddenSize: 4, layerNorm: true, rng: &rng)
        #expect(fresh.passes[0][0].layerNorm!.gainHH.value.scalars.allSatisfy { $0 == 1 })
        #expect(fresh.passes[0][0].layerNorm!.biasC.value.scalars.allSatisfy { $0 == 0 })
    }
}
