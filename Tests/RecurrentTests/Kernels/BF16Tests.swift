import CKernels
import Foundation
import Testing
@testable import Recurrent

/// The bfloat16 path (`--precision bf16`): products of bf16-rounded operands,
/// accumulated in float, checked against a float oracle with bf16's tolerance.
@Suite(.enabled(if: CPU.hasBF16, "this CPU has no AVX512-BF16 (or RNN_CPU caps the kernels below AVX-512)"))
struct BF16Tests {
    static func rounded(_ x: Float) -> Float { ck_float_from_bf16(ck_bf16_from_float(x)) }

    @Test func roundingIsToNearestWithTiesToEven() {
        #expect(ck_bf16_from_float(1) == 0x3F80)
        #expect(ck_bf16_from_float(-0.0) == 0x8000)
        #expect(ck_bf16_from_float(1 + 1.0 / 256) == 0x3F80)        // halfway, to the even 1.0
        #expect(ck_bf16_from_float(1 + 3.0 / 256) == 0x3F82)        // halfway, to the even 1 + 4/256
        #expect(ck_bf16_from_float(1 + 1.5 / 256) == 0x3F81)        // above halfway: up
        #expect(Self.rounded(.infinity) == .infinity && Self.rounded(-.infinity) == -.infinity)
        #expect(Self.rounded(.nan).isNaN && Self.rounded(-.nan).isNaN)
        #expect(Self.rounded(Float.greatestFiniteMagnitude) == .infinity)   // rounds past the largest bf16
        #expect(Self.rounded(3.140625) == 3.140625)                           // exactly representable
    }

    /// `gemm` under bf16 equals the exact product of the bf16-rounded operands
    /// (up to float accumulation), and the float product within bf16's error.
    @Test func gemmIsTheProductOfRoundedOperands() {
        for c in GEMMTests.cases {
            let (ar, ac) = c.transA ? (c.k, c.m) : (c.m, c.k)
            let (br, bc) = c.transB ? (c.n, c.k) : (c.k, c.n)
            let a = randomTensor([ar * ac], seed: 11), b = randomTensor([br * bc], seed: 12), c0 = randomTensor([c.m * c.n], seed: 13)
            let ra = Tensor(shape: a.shape, scalars: a.scalars.map(Self.rounded))
            let rb = Tensor(shape: b.shape, scalars: b.scalars.map(Self.rounded))
            func product(_ a: Tensor, _ b: Tensor, precision: Precision?) -> Tensor {
                var out = c0
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        out.withUnsafeMutableBufferPointer { po in
                            if let precision {
                                Precision.$override.withValue(precision) {
                                    gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                                         a: pa.baseAddress!, lda: ac, b: pb.baseAddress!, ldb: bc, beta: c.beta, c: po.baseAddress!, ldc: c.n)
                                }
                            } else {
                                naiveGEMM(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                                          a: pa.baseAddress!, lda: ac, b: pb.baseAddress!, ldb: bc, beta: c.beta, c: po.baseAddress!, ldc: c.n)
                            }
                        }
                    }
                }
                return out
            }
            let bf16 = product(a, b, precision: .bf16)
            // alpha is applied before rounding, so the oracle scales the rounded A by it first.
            let scaledA = Tensor(shape: a.shape, scalars: a.scalars.map { Self.rounded(c.alpha * $0) / c.alpha })
            let exact = product(c.alpha == 0 ? ra : scaledA, rb, precision: nil)
            let tol = 4e-6 * Float(c.k).squareRoot() * 2
            expectClose(bf16, exact, atol: tol, rtol: 1e-5, "bf16 vs rounded oracle \(c)")
            // Against the float product: each operand is off by at most 2^-9 relative.
            let float = product(a, b, precision: nil)
            expectClose(bf16, float, atol: 2 * Float(c.k) / 256 * abs(c.alpha), rtol: 0, "bf16 vs float \(c)")
        }
    }

    @Test func packedProductsMatchTheRoundedOracle() {
        for (m, n, k) in [(1, 1, 1), (3, 33, 7), (12, 64, 64), (13, 100, 257), (32, 1024, 256)] {
            let a = randomTensor([m * k], seed: 21), b = randomTensor([n * k], seed: 22)
            for beta: Float in [0, 1] {
                let c0 = randomTensor([m * n], seed: 23)
                var out = c0, expected = c0
                let count = PackedGEMM.count(k: k, n: n, precision: .bf16)
                let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 16) + 16)
                defer { packed.deallocate() }
                let aligned = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: packed) + 63) & ~63)!
                b.withUnsafeBufferPointer { pb in
                    PackedGEMM.pack(transB: true, k: k, n: n, b: pb.baseAddress!, ldb: k, into: aligned, precision: .bf16)
                }
                a.withUnsafeBufferPointer { pa in
                    out.withUnsafeMutableBufferPointer { po in
                        PackedGEMM.multiply(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, packed: aligned, beta: beta,
                                            c: po.baseAddress!, ldc: n, precision: .bf16)
                    }
                }
                let ra = a.scalars.map(Self.rounded), rb = b.scalars.map(Self.rounded)
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += Double(ra[i * k + p]) * Double(rb[j * k + p]) }
                        expected.scalars[i * n + j] = Float(s + (beta == 0 ? 0 : Double(c0.scalars[i * n + j])))
                    }
                }
                expectClose(out, expected, atol: 1e-5 * Float(k).squareRoot() * 2, rtol: 1e-5, "packed bf16 \(m)x\(n)x\(k) beta=\(beta)")
            }
        }
    }

    /// A stacked bidirectional LSTM with ragged lengths: bf16 outputs and
    /// gradients stay within bf16's error of the float ones (and differ from
    /// them, so the bf16 path really ran), and splitting the time loop over two
    /// threads changes nothing, as in float.
    @Test func aRecurrentLayerStaysCloseToFloat() {
        let T = 9, B = 40, I = 16, H = 64
        func run(_ precision: Precision, split: Bool = true) -> [Tensor] {
            var rng = SeededRNG(seed: 3)
            let layer = RecurrentLayer(cell: .lstm, inputSize: I, hiddenSize: H, layers: 2, bidirectional: true, rng: &rng)
            let x = randomTensor([T, B, I], seed: 41)
            let lengths = (0..<B).map { 1 + ($0 * 7) % T }
            var out: [Tensor] = []
            let body = {
                Precision.$override.withValue(precision) {
                    let (y, final, trace) = layer.forward(x, lengths: lengths, initial: nil, training: true, rng: &rng)
                    let dx = layer.backward(trace, gradOutput: randomTensor(y.shape, seed: 42), gradFinal: nil).gradInput
                    out = [y, final.h, final.c!, dx] + layer.namedParameters.map(\.parameter.grad)
                }
            }
            if split { body() } else { Threads.pair { if $0 == 0 { body() } } }
            return out
        }
        let float = run(.fp32), bf16 = run(.bf16), bf16OneThread = run(.bf16, split: false)
        var differs = false
        for (i, (a, b)) in zip(bf16, float).enumerated() {
            let scale = b.scalars.map(abs).max() ?? 1
            #expect(a.maxAbsDifference(b) <= 0.03 * max(scale, 1e-3), "result \(i): \(a.maxAbsDifference(b)) against scale \(scale)")
            differs = differs || a.maxAbsDifference(b) > 0
        }
        #expect(differs, "bf16 gave exactly the float results: the bf16 kernels did not run")
        for (i, (a, b)) in zip(bf16, bf16OneThread).enumerated() {
            #expect(a.maxAbsDifference(b) == 0, "result \(i) \(a.shape) differs by \(a.maxAbsDifference(b)) between split and unsplit under bf16")
        }
    }

    @Test func bf16MatrixVectorProductsMatchTheRoundedOracle() {
        for (m, k) in [(1, 1), (3, 7), (5, 33), (64, 64), (130, 257)] {
            let a = randomTensor([m * k], seed: 51), x = randomTensor([k], seed: 52), y0 = randomTensor([m], seed: 53)
            let matrix = a.withUnsafeBufferPointer { BF16Matrix(rows: m, columns: k, a: $0.baseAddress!, lda: k) }
            var y = y0
            x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { matrix.multiply(x: px.baseAddress!, beta: 1, y: $0.baseAddress!) } }
            var expected = y0
            for i in 0..<m {
                var s = 0.0
                for p in 0..<k { s += Double(Self.rounded(a.scalars[i * k + p])) * Double(Self.rounded(x.scalars[p])) }
                expected.scalars[i] += Float(s)
            }
            expectClose(y, expected, atol: 1e-5 * Float(k).squareRoot() * 2, rtol: 1e-5, "bf16 gemv \(m)x\(k)")
        }
    }

    /// Batch-1 generation with bf16 weights follows the float stepper within bf16's error.
    @Test func theBF16StepperFollowsTheFloatOne() {
        for cell in CellKind.allCases {
            var rng = SeededRNG(seed: 9)
            let layer = RecurrentLayer(cell: cell, inputSize: 24, hiddenSize: 96, layers: 2, rng: &rng)
            let float = RecurrentStepper(layer: layer), bf16 = RecurrentStepper(layer: layer, precision: .bf16)
            var worst: Float = 0
            for t in 0..<20 {
                let x = randomTensor([24], seed: 60 + UInt64(t))
                let a = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: float.step(input: $0.baseAddress!), count: 96)) }
                let b = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: bf16.step(input: $0.baseAddress!), count: 96)) }
                worst = max(worst, zip(a, b).map { abs($0 - $1) }.max()!)
            }
            #expect(worst > 0 && worst < 0.05, "\(cell): the bf16 stepper is off by \(worst) after 20 steps")
        }
    }

    @Test func theCLITrainsInBF16AndRefusesItWithoutTheInstructions() throws {
        let dir = TrainerTests.tempDir()
        let args = ["train", "lm", "--text", String(repeating: "hello world ", count: 40), "--layers", "1", "--hidden", "32",
                    "--seq", "8", "--batch", "2", "--steps", "3", "--precision", "bf16", "--out", "\(dir)/m.safetensors"]
        let ok = try CLITests.rnn(args)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("gemm bf16"))
        let refused = try CLITests.rnn(args, environment: ["RNN_CPU": "avx2"])
        #expect(refused.status == 64 && refused.stderr.contains("--precision bf16 needs a CPU with AVX512-BF16"))
        let sampled = try CLITests.rnn(["sample", "--model", "\(dir)/m.safetensors", "--prime", "he", "--length", "20", "--precision", "bf16"])
        #expect(sampled.status == 0 && sampled.stdout.count >= 20, "\(sampled.stderr)")
    }
}
