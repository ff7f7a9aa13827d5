import Recurrent
import Foundation

/// Times square single-precision GEMM with one backend (nil: the one that serves the shape).
package enum GEMMBenchmark {
    /// The measured rate of `C = A * B` for square `size` matrices.
    package struct Result: Sendable {
        package var size: Int
        package var backend: GEMMBackend?
        /// The best run's seconds, and its rate.
        package var seconds: Double
        package var gflops: Double
        /// Every timed run's seconds.
        package var times: [Double]
    }

    /// Runs one warm-up product, then repeats until `minSeconds` have passed
    /// (at least 3 runs) and reports the best run.
    package static func run(size: Int, backend: GEMMBackend?, minSeconds: Double = 1.0) -> Result {
        var rng = SeededRNG(seed: 1)
        let a = Tensor.uniform([size, size], low: -1, high: 1, rng: &rng)
        let b = Tensor.uniform([size, size], low: -1, high: 1, rng: &rng)
        var c = Tensor.zeros([size, size])
        var best = Double.infinity
        var total = 0.0
        var times: [Double] = []
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    func once() -> Double {
                        let start = DispatchTime.now().uptimeNanoseconds
                        gemm(m: size, n: size, k: size, a: pa.baseAddress!, lda: size, b: pb.baseAddress!, ldb: size,
                             c: pc.baseAddress!, ldc: size, backend: backend)
                        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    }
                    _ = once()
                    while times.count < 3 || total < minSeconds {
                        let s = once()
                        best = min(best, s)
                        total += s
                        times.append(s)
                    }
                }
            }
        }
        let flops = 2.0 * Double(size) * Double(size) * Double(size)
        return Result(size: size, backend: backend, seconds: best, gflops: flops / best / 1e9, times: times)
    }
}
