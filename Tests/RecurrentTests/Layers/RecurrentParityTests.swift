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
            try Self.expectMatchesFixture(layer, f, ragged: combo.ragged, given: combo.given, backend: backend,
                                          what: "\(cell) \(name) \(backend)")
        }
    }

    /// Loads `layer`'s parameters from the fixture entry `f`, runs it on `x`
    /// (with `lengths` when `ragged`, `h0`/`c0` when `given`, and the recurrent
    /// dropout `masks`) and its backward from `r_out`, `r_h`, `r_c`, and
    /// expects the outputs, final states and every gradient within `atol` + `rtol`.
    static func expectMatchesFixture(_ layer: RecurrentLayer, _ f: (String) throws -> Tensor, ragged: Bool, given: Bool,
                                     masks: [[Tensor]]? = nil, backend: GEMMBackend, atol: Float = 1e-5, rtol: Float = 1e-5,
                                     what: String) throws {
        let lstm = layer.cell.hasCellState
        func expectClose(_ a: Tensor, _ b: Tensor, _ name: String) { RecurrentTests.expectClose(a, b, atol: atol, rtol: rtol, "\(what) \(name)") }
        for (pname, p) in layer.namedParameters { p.value = try f(pname) }
        let lengths = ragged ? try f("lengths").scalars.map { Int($0) } : nil
        let initial = given ? RecurrentState(h: try f("h0"), c: lstm ? try f("c0") : nil) : nil
        try GEMMBackend.$override.withValue(backend) {
            var unused = SeededRNG(seed: 0)
            let r = layer.forward(try f("x"), lengths: lengths, initial: initial, training: masks != nil, rng: &unused, recurrentMasks: masks)
            expectClose(r.output, try f("out"), "output")
            expectClose(r.final.h, try f("h_n"), "h_n")
            if lstm { expectClose(r.final.c!, try f("c_n"), "c_n") }
            let g = layer.backward(r.trace, gradOutput: try f("r_out"), gradFinal: RecurrentState(h: try f("r_h"), c: lstm ? try f("r_c") : nil))
            expectClose(g.gradInput, try f("grad.x"), "grad x")
            if given {
                expectClose(g.gradInitial.h, try f("grad.h0"), "grad h0")
                if lstm { expectClose(g.gradInitial.c!, try f("grad.c0"), "grad c0") }
            }
            for (pname, p) in layer.namedParameters { expectClose(p.grad, try f("grad.\(pname)"), "grad \(pname)") }
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
