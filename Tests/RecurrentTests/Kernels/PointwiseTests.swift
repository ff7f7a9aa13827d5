import CKernels
import Foundation
import Testing
@testable import Recurrent

/// The vector activations agree with libm to within a few float ulps, including at the extremes.
@Suite struct PointwiseTests {
    static let inputs: [Float] = {
        var xs: [Float] = [0, -0.0, 1e-8, -1e-8, 0.3, -0.624, 0.625, 0.626, 1, -1, 5, -5, 9.5, -9.5, 20, -20,
                           87, -87, 88.5, -88.5, 100, -100, 1000, -1000, .infinity, -.infinity]
        var rng = SeededRNG(seed: 11)
        for _ in 0..<2000 { xs.append(rng.nextFloat(in: -12..<12)) }
        return xs
    }()

    func run(_ f: (ck_isa, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, isa: ck_isa) -> [Float] {
        var out = [Float](repeating: .nan, count: Self.inputs.count)
        Self.inputs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in f(isa, x.baseAddress!, y.baseAddress!, x.count) }
        }
        return out
    }

    @Test(arguments: CPU.supportedISAs.map(\.rawValue))
    func activationsMatchLibm(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        let tanhs = run({ ck_vtanh($0, $1, $2, $3) }, isa: isa)
        let sigmoids = run({ ck_vsigmoid($0, $1, $2, $3) }, isa: isa)
        let exps = run({ ck_vexp($0, $1, $2, $3) }, isa: isa)
        for (i, x) in Self.inputs.enumerated() {
            let d = Double(x)
            let t = Foundation.tanh(d), s = 1 / (1 + Foundation.exp(-d))
            #expect(abs(Double(tanhs[i]) - t) <= 2e-7 + 2e-7 * abs(t), "tanh(\(x)) = \(tanhs[i]), expected \(t)")
            #expect(abs(Double(sigmoids[i]) - s) <= 2e-7 * s + 1e-30, "sigmoid(\(x)) = \(sigmoids[i]), expected \(s)")
            if x > -87 && x < 88 {
                let e = Foundation.exp(d)
                #expect(abs(Double(exps[i]) - e) <= 3e-7 * e, "exp(\(x)) = \(exps[i]), expected \(e)")
            }
        }
        #expect(tanhs.allSatisfy { !$0.isNaN } && sigmoids.allSatisfy { !$0.isNaN })
    }

    @Test("NaN goes in, NaN comes out (so training can detect it)", arguments: CPU.supportedISAs.map(\.rawValue))
    func nanPropagates(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        let x: [Float] = [.nan, 1, .nan, -3, 0.1, .nan, 2, 3, .nan]
        for f in [ck_vexp, ck_vsigmoid, ck_vtanh] {
            var y = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in f(isa, px.baseAddress!, py.baseAddress!, x.count) } }
            for i in x.indices { #expect(x[i].isNaN == y[i].isNaN, "\(CPU.name(of: isa)) element \(i): \(y[i])") }
        }
    }

    @Test("max, sum and sum of squares match a double-precision reference", arguments: CPU.supportedISAs.map(\.rawValue))
    func reductionsMatchReference(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        for n in [0, 1, 7, 31, 32, 33, 1000, 1024, 1025, 5000] {
            let x = randomTensor([n], seed: UInt64(n + 1), scale: 3).scalars
            let maxRef = x.max() ?? -.infinity
            let sumRef = x.reduce(0.0) { $0 + Double($1) }, sqRef = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            x.withUnsafeBufferPointer { p in
                #expect(ck_vmax(isa, p.baseAddress!, n) == maxRef, "\(CPU.name(of: isa)) max n=\(n)")
                #expect(abs(Double(ck_vsum(isa, p.baseAddress!, n)) - sumRef) <= 1e-5 * Double(n) + 1e-6, "\(CPU.name(of: isa)) sum n=\(n)")
                #expect(abs(ck_sum_squares(isa, p.baseAddress!, n) - sqRef) <= 1e-5 * sqRef + 1e-9, "\(CPU.name(of: isa)) sumsq n=\(n)")
            }
        }
        // NaN anywhere, in the vector body or the tail, makes the maximum NaN.
        for at in [0, 5, 40, 99] {
            var x = randomTensor([100], seed: 3).scalars
            x[at] = .nan
            x.withUnsafeBufferPointer { p in #expect(ck_vmax(isa, p.baseAddress!, 100).isNaN, "NaN at \(at)") }
        }
    }

    @Test("the vector Adam update matches the portable one", arguments: CPU.supportedISAs.map(\.rawValue))
    func adamKernelMatchesPortable(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        for decoupled: Int32 in [0, 1] {
            let params = ck_adam_params(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1,
                                        stepSize: 0.01 / 0.19, c2Root: (1 - 0.998001 as Float).squareRoot(), decoupled: decoupled)
            func run(_ isa: ck_isa) -> [Float] {
                var w = randomTensor([37], seed: 1).scalars, m = randomTensor([37], seed: 2).scalars
                var v = randomTensor([37], seed: 3).scalars.map { $0 * $0 }
                let g = randomTensor([37], seed: 4).scalars
                withUnsafePointer(to: params) { ck_adam(isa, 37, &w, g, &m, &v, $0) }
                return w + m + v
            }
            let vector = run(isa), portable = run(CK_ISA_PORTABLE)
            for i in vector.indices {
                #expect(abs(vector[i] - portable[i]) <= 1e-6 * max(1, abs(portable[i])), "\(CPU.name(of: isa)) element \(i)")
            }
        }
    }
}
