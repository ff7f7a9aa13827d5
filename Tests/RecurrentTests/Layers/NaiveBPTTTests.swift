import Testing
@testable import Recurrent

/// Backpropagation through time done the slow, obvious way, as llm.c keeps its
/// naive version beside the fast one: one sequence at a time (so no padding),
/// one step at a time, plain loops for the products and the cells' Swift
/// reference steps for the rest. No GEMM, no fused kernel, no threads.
struct NaiveBPTT {
    let layer: RecurrentLayer
    /// The parameter gradients, by PyTorch name.
    var grads: [String: [Float]] = [:]
    typealias Record = (h: [Float], c: [Float], step: ReferenceStep)

    /// `W v`, or `W^T v` when `transposed`, for `W` of `[m, n]`.
    static func product(_ W: Parameter, _ v: [Float], transposed: Bool = false) -> [Float] {
        let m = W.shape[0], n = W.shape[1], w = W.value.scalars
        return transposed ? (0..<n).map { j in (0..<m).reduce(0) { $0 + w[$1 * n + j] * v[$1] } }
                          : (0..<m).map { i in (0..<n).reduce(0) { $0 + w[i * n + $1] * v[$1] } }
    }

    /// `grads[name] += a ⊗ b` (or `+= a` without `b`).
    mutating func add(_ name: String, _ a: [Float], _ b: [Float] = [1]) {
        var g = grads[name] ?? [Float](repeating: 0, count: a.count * b.count)
        for i in a.indices { for j in b.indices { g[i * b.count + j] += a[i] * b[j] } }
        grads[name] = g
    }

    /// One pass over `xs` (in the pass's own order) from `h`, `c`: what each step started from and computed.
    func forward(_ p: RecurrentPass, _ xs: [[Float]], h: [Float], c: [Float]) -> [Record] {
        var h = h, c = c, records: [Record] = []
        for x in xs {
            let xp = zip(Self.product(p.weightIH, x), p.biasIH.value.scalars).map(+)
            let hp = zip(Self.product(p.weightHH, h), p.biasHH.value.scalars).map(+)
            let step = p.cell.referenceForward(xp: xp, hp: hp, h: h, c: c)
            records.append((h, c, step))
            (h, c) = (step.h, step.c)
        }
        return records
    }

    /// That pass backwards from the final state's gradients `dh`, `dc`; returns the gradients for `xs` and the initial state.
    mutating func backward(_ p: RecurrentPass, _ xs: [[Float]], _ records: [Record], dys: [[Float]], dh: [Float], dc: [Float])
        -> (dxs: [[Float]], dh: [Float], dc: [Float]) {
        var dh = dh, dc = dc, dxs = xs
        for k in xs.indices.reversed() {
            let (hPrev, cPrev, step) = records[k]
            let g = p.cell.referenceBackward(step, hPrev: hPrev, cPrev: cPrev, dh: zip(dh, dys[k]).map(+), dc: dc)
            add("weight_ih" + p.suffix, g.dXp, xs[k]); add("bias_ih" + p.suffix, g.dXp)
            add("weight_hh" + p.suffix, g.dHp, hPrev); add("bias_hh" + p.suffix, g.dHp)
            dxs[k] = Self.product(p.weightIH, g.dXp, transposed: true)
            (dh, dc) = (zip(g.dh, Self.product(p.weightHH, g.dHp, transposed: true)).map(+), g.dc)
        }
        return (dxs, dh, dc)
    }

    /// The stack over one sequence `xs` (each `[I]`) from `state` (entry `l*D + d`, each `[H]`; `c` empty but
    /// for the LSTM), then back from `dys` (each `[D*H]`) and the final state's gradients `dState`.
    mutating func run(_ xs: [[Float]], state: [(h: [Float], c: [Float])], dys: [[Float]], dState: [(h: [Float], c: [Float])])
        -> (ys: [[Float]], final: [(h: [Float], c: [Float])], dxs: [[Float]], dInitial: [(h: [Float], c: [Float])]) {
        let D = layer.directionCount, L = layer.layerCount
        var input = xs, final = state, dInitial = state, stack: [[(inputs: [[Float]], records: [Record])]] = []
        for l in 0..<L {
            let passes = (0..<D).map { d in
                let inputs = d == 0 ? input : input.reversed()
                return (inputs: inputs, records: forward(layer.passes[l][d], inputs, h: state[l * D + d].h, c: state[l * D + d].c))
            }
            for d in 0..<D { final[l * D + d] = passes[d].records.last.map { ($0.step.h, $0.step.c) } ?? state[l * D + d] }
            input = xs.indices.map { k in (0..<D).flatMap { d in passes[d].records[d == 0 ? k : xs.count - 1 - k].step.h } }
            stack.append(passes)
        }
        let ys = input, H = layer.hiddenSize
        var dIn = dys
        for l in (0..<L).reversed() {
            var dPrev = stack[l][0].inputs.map { [Float](repeating: 0, count: $0.count) }
            for d in 0..<D {
                let mine = dIn.map { Array($0[(d * H)..<((d + 1) * H)]) }
                let r = backward(layer.passes[l][d], stack[l][d].inputs, stack[l][d].records, dys: d == 0 ? mine : mine.reversed(),
                                 dh: dState[l * D + d].h, dc: dState[l * D + d].c)
                dInitial[l * D + d] = (r.dh, r.dc)
                for k in dPrev.indices { dPrev[k] = zip(dPrev[k], r.dxs[d == 0 ? k : xs.count - 1 - k]).map(+) }
            }
            dIn = dPrev
        }
        return (ys, final, dIn, dInitial)
    }
}

/// The fast ``RecurrentLayer`` (GEMMs, fused kernels, packed `W_hh`) against ``NaiveBPTT``.
@Suite struct NaiveBPTTTests {
    /// `t[k, b, :]` for `k` in `0..<count`, of a rank-3 tensor.
    static func rows(_ t: Tensor, _ b: Int, _ count: Int) -> [[Float]] {
        let B = t.shape[1], F = t.shape[2]
        return (0..<count).map { k in Array(t.scalars[((k * B + b) * F)..<((k * B + b + 1) * F)]) }
    }

    static func setRows(_ t: inout Tensor, _ b: Int, _ rows: [[Float]]) {
        let B = t.shape[1], F = t.shape[2]
        for (k, row) in rows.enumerated() where !row.isEmpty { t.scalars.replaceSubrange(((k * B + b) * F)..<((k * B + b + 1) * F), with: row) }
    }

    /// Every output, final state and gradient, with a given initial state, a
    /// gradient for the final state, and ragged lengths down to an empty
    /// sequence (whose padded outputs get a gradient that must be ignored).
    @Test("the fast layer equals a naive BPTT over the cells' reference steps, uni- and bidirectional, stacked, ragged",
          arguments: CellKind.allCases, GEMMBackend.available)
    func fastLayerMatchesNaiveBPTT(cell: CellKind, backend: GEMMBackend) {
        let T = 5, B = 3, I = 4, H = 9, lengths = [5, 2, 0]
        for (layers, bidirectional) in [(1, false), (1, true), (2, false), (2, true)] {
            var rng = SeededRNG(seed: 7)
            let layer = RecurrentLayer(cell: cell, inputSize: I, hiddenSize: H, layers: layers, bidirectional: bidirectional, rng: &rng)
            let D = layer.directionCount, LD = layers * D, lstm = cell.hasCellState
            let x = randomTensor([T, B, I], seed: 1), dy = randomTensor([T, B, D * H], seed: 2)
            let initial = RecurrentState(h: randomTensor([LD, B, H], seed: 3), c: lstm ? randomTensor([LD, B, H], seed: 4) : nil)
            let dFinal = RecurrentState(h: randomTensor([LD, B, H], seed: 5), c: lstm ? randomTensor([LD, B, H], seed: 6) : nil)
            let (fast, back) = GEMMBackend.$override.withValue(backend) {
                let f = layer.forward(x, lengths: lengths, initial: initial)
                return (f, layer.backward(f.trace, gradOutput: dy, gradFinal: dFinal))
            }

            var naive = NaiveBPTT(layer: layer)
            var y = Tensor.zeros([T, B, D * H]), dx = Tensor.zeros([T, B, I])
            let zeros = Tensor.zeros([LD, B, H])
            var (hT, cT, dh0, dc0) = (zeros, zeros, zeros, zeros)
            func pairs(_ s: RecurrentState, _ b: Int) -> [(h: [Float], c: [Float])] {
                zip(Self.rows(s.h, b, LD), s.c.map { Self.rows($0, b, LD) } ?? Array(repeating: [], count: LD)).map { ($0, $1) }
            }
            for b in 0..<B {
                let r = naive.run(Self.rows(x, b, lengths[b]), state: pairs(initial, b), dys: Self.rows(dy, b, lengths[b]),
                                  dState: pairs(dFinal, b))
                Self.setRows(&y, b, r.ys)
                Self.setRows(&dx, b, r.dxs)
                Self.setRows(&hT, b, r.final.map(\.h)); Self.setRows(&cT, b, r.final.map(\.c))
                Self.setRows(&dh0, b, r.dInitial.map(\.h)); Self.setRows(&dc0, b, r.dInitial.map(\.c))
            }
            let what = "\(cell) L\(layers) \(bidirectional ? "bi" : "uni") \(backend)"
            func same(_ a: Tensor, _ b: Tensor, _ name: String) { expectClose(a, b, atol: 1e-5, rtol: 1e-4, "\(what) \(name)") }
            same(fast.output, y, "output"); same(fast.final.h, hT, "h_n"); same(back.gradInput, dx, "grad x")
            same(back.gradInitial.h, dh0, "grad h0")
            if lstm { same(fast.final.c!, cT, "c_n"); same(back.gradInitial.c!, dc0, "grad c0") }
            for (name, p) in layer.namedParameters {
                same(p.grad, Tensor(shape: p.shape, scalars: naive.grads[name] ?? []), "grad \(name)")
            }
        }
    }
}
