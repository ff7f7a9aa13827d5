import Foundation
import Testing
@testable import Recurrent

/// ``Attention`` agrees with PyTorch (fixtures from Scripts/make_torch_fixtures.py)
/// for each score, masked by ragged memory lengths, and with finite differences.
@Suite struct AttentionTests {
    static func layer(_ score: AttentionScore, file: SafeTensorsFile) throws -> Attention {
        let q = try file.tensor("\(score)/q"), h = try file.tensor("\(score)/memory")
        var rng = SeededRNG(seed: 3)
        let a = Attention(score: score, querySize: q.shape[2], keySize: h.shape[2], attentionSize: 5, rng: &rng)
        for (name, p) in a.namedParameters { p.value = try file.tensor("\(score)/\(name)") }
        return a
    }

    @Test("context, weights and every gradient match PyTorch at 1e-5", arguments: AttentionScore.allCases)
    func matchesPyTorch(score: AttentionScore) throws {
        let file = try fixture("attention")
        let f = { (key: String) throws -> Tensor in try file.tensor("\(score)/\(key)") }
        let a = try Self.layer(score, file: file)
        let lengths = try file.tensor("lengths").scalars.map { Int($0) }
        let r = a.forward(try f("q"), memory: try f("memory"), lengths: lengths)
        expectClose(r.context, try f("context"), "\(score) context")
        expectClose(r.trace.weights, try f("weights"), "\(score) weights")
        let g = a.backward(r.trace, gradContext: try f("r_c"), gradWeights: try f("r_a"))
        expectClose(g.gradQuery, try f("grad.q"), "\(score) grad q")
        expectClose(g.gradMemory, try f("grad.memory"), "\(score) grad memory")
        for (name, p) in a.namedParameters { expectClose(p.grad, try f("grad.\(name)"), "\(score) grad \(name)") }
    }

    @Test("padding gets no weight and does not change the context", arguments: AttentionScore.allCases)
    func paddingIsIgnored(score: AttentionScore) throws {
        var rng = SeededRNG(seed: 5)
        let a = Attention(score: score, querySize: 4, keySize: 4, attentionSize: 3, rng: &rng)
        let q = randomTensor([2, 1, 4], seed: 1), h = randomTensor([3, 1, 4], seed: 2)
        var padded = Tensor.zeros([5, 1, 4])
        for i in 0..<h.count { padded.scalars[i] = h.scalars[i] }
        for i in h.count..<padded.count { padded.scalars[i] = 100 }
        let short = a.forward(q, memory: h)
        let long = a.forward(q, memory: padded, lengths: [3])
        expectClose(long.context, short.context, "\(score) context with padding")
        for n in 0..<2 { for s in 3..<5 { #expect(long.trace.weights[n, 0, s] == 0) } }
    }

    @Test("gradients match central differences", arguments: AttentionScore.allCases)
    func finiteDifferences(score: AttentionScore) throws {
        var rng = SeededRNG(seed: 9)
        let a = Attention(score: score, querySize: 3, keySize: 3, attentionSize: 4, rng: &rng)
        var q = randomTensor([2, 2, 3], seed: 4), h = randomTensor([4, 2, 3], seed: 6)
        let rc = randomTensor([2, 2, 3], seed: 7), ra = randomTensor([2, 2, 4], seed: 8)
        let lengths = [4, 2]
        func loss() -> Double {
            let r = a.forward(q, memory: h, lengths: lengths)
            var total = 0.0
            for i in 0..<rc.count { total += Double(r.context.scalars[i]) * Double(rc.scalars[i]) }
            for i in 0..<ra.count { total += Double(r.trace.weights.scalars[i]) * Double(ra.scalars[i]) }
            return total
        }
        a.zeroGradients()
        let r = a.forward(q, memory: h, lengths: lengths)
        let g = a.backward(r.trace, gradContext: rc, gradWeights: ra)
        expectGradientsMatchFiniteDifferences(a.namedParameters, names: Set(a.namedParameters.map(\.name)), stride: 1,
                                              what: "\(score)", loss: loss)
        let eps: Float = 1e-2
        for (which, grad) in [("q", g.gradQuery), ("memory", g.gradMemory)] {
            for i in 0..<grad.count {
                func perturbed(_ d: Float) -> Double {
                    if which == "q" { q.scalars[i] += d } else { h.scalars[i] += d }
                    defer { if which == "q" { q.scalars[i] -= d } else { h.scalars[i] -= d } }
                    return loss()
                }
                let numeric = (perturbed(eps) - perturbed(-eps)) / (2 * Double(eps)), analytic = Double(grad.scalars[i])
                #expect(abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(analytic), "\(score) d\(which)[\(i)]: \(analytic) vs \(numeric)")
            }
        }
    }
}
