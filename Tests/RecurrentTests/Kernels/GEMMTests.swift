import CKernels
import Testing
@testable import Recurrent

/// Every fast GEMM path agrees with the naive oracle on awkward shapes.
@Suite struct GEMMTests {
    struct Case: CustomStringConvertible, Sendable {
        var m, n, k: Int
        var transA, transB: Bool
        var alpha, beta: Float
        var description: String { "\(m)x\(n)x\(k) tA=\(transA) tB=\(transB) a=\(alpha) b=\(beta)" }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        let shapes = [(1, 1, 1), (7, 5, 3), (1, 33, 17), (33, 1, 9), (13, 37, 300), (100, 70, 40), (257, 129, 65), (64, 1024, 256)]
        for (m, n, k) in shapes {
            for ta in [false, true] {
                for tb in [false, true] {
                    out.append(Case(m: m, n: n, k: k, transA: ta, transB: tb, alpha: 1, beta: 0))
                }
            }
            out.append(Case(m: m, n: n, k: k, transA: false, transB: true, alpha: 0.5, beta: 1))
            out.append(Case(m: m, n: n, k: k, transA: true, transB: false, alpha: -2, beta: 0.25))
        }
        return out
    }()

    /// Runs `body` on fresh operands laid out with padded leading dimensions.
    func check(_ c: Case, _ what: String, _ run: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void) {
        let (ar, ac) = c.transA ? (c.k, c.m) : (c.m, c.k)
        let (br, bc) = c.transB ? (c.n, c.k) : (c.k, c.n)
        let lda = ac + 3, ldb = bc + 1, ldc = c.n + 2
        let a = randomTensor([ar * lda], seed: 1), b = randomTensor([br * ldb], seed: 2)
        let c0 = randomTensor([c.m * ldc], seed: 3)
        var expected = c0, actual = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                expected.withUnsafeMutableBufferPointer { pe in
                    naiveGEMM(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                              a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: c.beta, c: pe.baseAddress!, ldc: ldc)
                }
                actual.withUnsafeMutableBufferPointer { pc in
                    run(pa.baseAddress!, lda, pb.baseAddress!, ldb, pc.baseAddress!, ldc)
                }
            }
        }
        // Padding columns of C must be left alone.
        for i in 0..<c.m { for j in c.n..<ldc { #expect(actual.scalars[i * ldc + j] == c0.scalars[i * ldc + j], "\(what) \(c) wrote outside C") } }
        let tol = 2e-5 * Float(c.k).squareRoot() * 2
        expectClose(actual, expected, atol: tol, rtol: 1e-5, "\(what) \(c)")
    }

    @Test("each built-in micro-kernel matches the oracle", arguments: CPU.supportedISAs.map(\.rawValue))
    func builtinKernelsMatchOracle(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        for c in Self.cases {
            for threads in [1, 2, 3] {
                check(c, "builtin \(CPU.name(of: isa)) threads=\(threads)") { a, lda, b, ldb, out, ldc in
                    builtinGEMM(isa: isa, transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                                a: a, lda: lda, b: b, ldb: ldb, beta: c.beta, c: out, ldc: ldc, threads: threads)
                }
            }
        }
    }

    @Test("each available backend matches the oracle", arguments: GEMMBackend.available)
    func backendsMatchOracle(backend: GEMMBackend) {
        for c in Self.cases {
            check(c, "\(backend)") { a, lda, b, ldb, out, ldc in
                gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: c.beta, c: out, ldc: ldc, backend: backend)
            }
        }
    }

    @Test func betaZeroOverwritesNaN() {
        var c = Tensor(shape: [2, 2], repeating: .nan)
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        for backend in GEMMBackend.available {
            a.withUnsafeBufferPointer { pa in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(m: 2, n: 2, k: 2, a: pa.baseAddress!, lda: 2, b: pa.baseAddress!, ldb: 2, beta: 0, c: pc.baseAddress!, ldc: 2, backend: backend)
                }
            }
            #expect(c.scalars == [7, 10, 15, 22], "\(backend)")
        }
    }

    /// Vanishing gradients reach the subnormal range, where x86 arithmetic runs
    /// in microcode; the front door flushes them to zero on every backend.
    @Test func denormalsAreFlushedToZero() {
        #if arch(x86_64)
        let tiny: [Float] = [1e-39, 2e-39, 3e-39, 4e-39], ones: [Float] = [1, 1, 1, 1]
        #expect(tiny[0] != 0 && !tiny[0].isNormal)
        for backend in GEMMBackend.available {
            var c: [Float] = [7]
            tiny.withUnsafeBufferPointer { a in
                ones.withUnsafeBufferPointer { b in
                    gemm(m: 1, n: 1, k: 4, a: a.baseAddress!, lda: 4, b: b.baseAddress!, ldb: 1, c: &c, ldc: 1, backend: backend)
                }
            }
            #expect(c == [0], "\(backend)")
        }
        #endif
    }

    @Test func openBLASIsFoundWhenInstalled() {
        // CI installs libopenblas0-pthread; on a machine without it the builtin backend is used.
        // The system's loader, searching its own paths, is the oracle for "installed".
        let handle = dlopen("libopenblas.so.0", RTLD_LAZY)
        let installed = handle != nil
        if let handle { dlclose(handle) }
        #expect(GEMMBackend.openblas.isAvailable == installed)
        #expect(GEMMBackend.available.first == .builtin)
    }
}

import Foundation
