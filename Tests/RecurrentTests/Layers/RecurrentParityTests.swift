import Foundation
import Testing
@testable import Recurrent

/// Outputs, final states and every gradient of ``RecurrentLayer`` agree with
/// PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` (fixtures from Scripts/make_torch_fixtures.py)
/// within 1e-5 absolute + relative, under each GEMM backend available.
@Suite struct RecurrentParityTests {
    static let cells: [CellKind] = [.rnnTanh, .rnnRelu, .lstm, .gru]
    static let combos: [(layers: Int, bidirectional: Bool, ragged: Bool, given: Bool)] = {
        var out: [(Int, Bool, Bool, Bool)] = []
        for l in [1, 2] { for bi in [false, true] { for r in [false, true] { for g in [false, true] { out.append((l, bi, r, g)) } } } }
        return out
    }()

    static func comboName(_ c: (layers: Int, bidirectional: Bool, ragged: Bool, given: Bool)) -> String {
        "L\(c.layers)_\(c.bidirectional ? "bi" : "uni")_\(c.ragged ? "ragged" : "equal")_\(c.given ? "given" : "zero")"
    }

    @Test("parity with PyTorch for every cell, depth, direction, lengths and initial state",
          arguments: cells, GEMMBackend.available)
    func matchesPyTorch(cell: CellKind, backend: GEMMBackend) throws {
        let file = try fixture("recurrent_\(cell.rawValue)")
        for combo in Self.combos {
            let name = Self.comboName(combo)
            let f = { (key: String) throws -> Tensor in try file.tensor("\(name)/\(key)") }
            let x = try f("x")
            var rng = SeededRNG(seed: 1)
            let layer = RecurrentLayer(cell: cell, inputSize: x.shape[2], hiddenSize: try f("h_n").shape[2],
                                       layers: combo.layers, bidirectional: combo.bidirectional, rng: &rng)
            for (pname, p) in layer.namedParameters { p.value = try f(pname) }
            let lengths = combo.ragged ? try f("lengths").scalars.map { Int($0) } : nil
            let initial = combo.given ? RecurrentState(h: try f("h0"), c: cell == .lstm ? try f("c0") : nil) : nil
            let what = "\(cell) \(name) \(backend)"

            try GEMMBackend.$override.withValue(backend) {
                let r = layer.forward(x, lengths: lengths, initial: initial)
                expectClose(r.output, try f("out"), "\(what) output")
                expectClose(r.final.h, try f("h_n"), "\(what) h_n")
                if cell == .lstm { expectClose(r.final.c!, try f("c_n"), "\(what) c_n") }

                let gradFinal = RecurrentState(h: try f("r_h"), c: cell == .lstm ? try f("r_c") : nil)
                let g = layer.backward(r.trace, gradOutput: try f("r_out"), gradFinal: gradFinal)
                expectClose(g.gradInput, try f("grad.x"), "\(what) grad x")
                if combo.given {
                    expectClose(g.gradInitial.h, try f("grad.h0"), "\(what) grad h0")
                    if cell == .lstm { expectClose(g.gradInitial.c!, try f("grad.c0"), "\(what) grad c0") }
                }
                for (pname, p) in layer.namedParameters {
                    expectClose(p.grad, try f("grad.\(pname)"), "\(what) grad \(pname)")
                }
            }
        }
    }

    @Test("Linear and Embedding match PyTorch", arguments: GEMMBackend.available)
    func linearAndEmbeddingMatchPyTorch(backend: GEMMBackend) throws {
        let file = try fixture("layers")
        var rng = SeededRNG(seed: 1)
        let linear = Linear(inputSize: 5, outputSize: 4, rng: &rng)
        linear.weight.value = try file.tensor("linear.weight")
        linear.bias!.value = try file.tensor("linear.bias")
        try GEMMBackend.$override.withValue(backend) {
            let r = linear.forward(try file.tensor("linear.x"))
            expectClose(r.output, try file.tensor("linear.y"), "linear y")
            let dx = linear.backward(r.trace, gradOutput: try file.tensor("linear.r"))
            expectClose(dx, try file.tensor("linear.grad.x"), "linear grad x")
            expectClose(linear.weight.grad, try file.tensor("linear.grad.weight"), "linear grad weight")
            expectClose(linear.bias!.grad, try file.tensor("linear.grad.bias"), "linear grad bias")
        }
        let embedding = Embedding(vocabularySize: 6, embeddingSize: 3, rng: &rng)
        embedding.weight.value = try file.tensor("embedding.weight")
        let ids = try file.tensor("embedding.ids")
        let e = embedding.forward(ids: ids.scalars.map { Int($0) }, shape: ids.shape)
        expectClose(e.output, try file.tensor("embedding.y"), "embedding y")
        embedding.backward(e.trace, gradOutput: try file.tensor("embedding.r"))
        expectClose(embedding.weight.grad, try file.tensor("embedding.grad.weight"), "embedding grad weight")
    }

    @Test func parameterNamesAndShapesFollowPyTorch() {
        var rng = SeededRNG(seed: 3)
        let lstm = RecurrentLayer(cell: .lstm, inputSize: 10, hiddenSize: 20, layers: 2, bidirectional: true, rng: &rng)
        let names = lstm.namedParameters.map(\.name)
        #expect(names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                          "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                          "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                          "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"])
        #expect(lstm.passes[1][0].weightIH.shape == [80, 40])
        #expect(lstm.passes[0][1].weightHH.shape == [80, 20])
        let gru = RecurrentLayer(cell: .gru, inputSize: 3, hiddenSize: 7, rng: &rng)
        #expect(gru.passes[0][0].weightIH.shape == [21, 3])
        // Default initialisation is U(-1/sqrt(H), 1/sqrt(H)).
        let bound = 1 / Float(20).squareRoot()
        for (_, p) in lstm.namedParameters {
            #expect(p.value.scalars.allSatisfy { abs($0) <= bound })
            #expect(p.value.scalars.contains { abs($0) > bound * 0.9 })
        }
    }
}
