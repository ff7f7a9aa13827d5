import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn bench`: measure the real code paths.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark GEMM backends (and, as they land, training and generation configs).",
            discussion: "`rnn bench gemm` times square 1024 and 2048 sgemm with each available backend.")

        @Argument(help: "What to benchmark: gemm, sgemm-1024, sgemm-2048.")
        var configs: [String] = ["gemm"]

        @Flag(help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            for name in configs where Self.gemmSizes(name) == nil {
                throw ValidationError("unknown benchmark '\(name)'; choose from: gemm, sgemm-1024, sgemm-2048")
            }
        }

        static func gemmSizes(_ name: String) -> [Int]? {
            switch name {
            case "gemm": return [1024, 2048]
            case "sgemm-1024": return [1024]
            case "sgemm-2048": return [2048]
            default: return nil
            }
        }

        func run() throws {
            if !json { print("threads: \(Threads.count), builtin kernel: \(CPU.name(of: CPU.isa))") }
            for name in configs {
                for size in Self.gemmSizes(name)! {
                    var rates: [GEMMBackend: Double] = [:]
                    for backend in GEMMBackend.available {
                        let r = GEMMBenchmark.run(size: size, backend: backend)
                        rates[backend] = r.gflops
                        if json {
                            print(#"{"config":"sgemm-\#(size)","mode":"gemm","backend":"\#(backend)","ms":\#(String(format: "%.3f", r.seconds * 1e3)),"gflops":\#(String(format: "%.1f", r.gflops))}"#)
                        } else {
                            print(String(format: "sgemm-%d  %-9@ %8.2f ms  %7.1f GFLOP/s", size, backend.rawValue, r.seconds * 1e3, r.gflops))
                        }
                    }
                    if !json, let own = rates[.builtin], let blas = rates[.openblas] {
                        print(String(format: "sgemm-%d  builtin/openblas = %.2f", size, own / blas))
                    }
                }
            }
        }
    }
}
