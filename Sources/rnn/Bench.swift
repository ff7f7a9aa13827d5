import ArgumentParser
import Foundation
import Benchmarks
import Recurrent

extension RNN {
    /// `rnn bench`: measure the real code paths on named configs.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark training steps, generation and GEMM on named configs (the same as Scripts/bench_pytorch.py).",
            discussion: """
            Configs: \(BenchmarkConfig.all.map(\.name).joined(separator: ", ")).
            `rnn bench gemm` times square 1024 and 2048 sgemm with every available backend.
            `mpirun -np N rnn bench allreduce` times the float all-reduce from 1 KB to 64 MB over the ranks (needs RNN_MPI=1).
            Times are medians of the timed repetitions; --json adds their spread (min, p10, p90, max, mean, count).
            Peak RSS is the process's; run one config per process (Scripts/bench_compare.py does) for a per-config figure.
            """)

        @Argument(help: "Configs to run (default: all), or `gemm` for the backend comparison.")
        var configs: [String] = []
        @Option(name: .customLong("config"), help: "A config to run (repeatable).")
        var configOptions: [String] = []
        @OptionGroup var output: JSONOption
        @Option(help: "Seconds of timed repetitions per config.")
        var seconds: Double = 3
        @OptionGroup var threads: ThreadsOption
        @Option(help: "Precision of the matrix products: fp32 or bf16 (needs AVX512-BF16).")
        var precision: Precision = .fp32

        var selected: [String] { configs + configOptions }

        func validate() throws {
            for name in selected where name != "gemm" && name != "allreduce" && BenchmarkConfig.named(name) == nil {
                throw ValidationError("unknown benchmark '\(name)'; choose from: gemm, \(BenchmarkConfig.all.map(\.name).joined(separator: ", "))")
            }
            try Check.positive(seconds, "--seconds", atMost: 3600, " (an hour)")
            try Check.settings(try precision.validate())
        }

        func run() throws {
            Precision.processDefault = precision
            if selected == ["gemm"] { return gemmComparison() }
            if selected.contains("allreduce") { return try allReduceBenchmark(seconds: seconds) }
            let names = selected.isEmpty ? BenchmarkConfig.all.map(\.name) : selected
            if !output.json { print("gemm \(precision == .bf16 ? "bf16" : GEMMBackend.inUse), builtin kernel \(CPU.isaName), \(Threads.count) threads") }
            for name in names {
                if name == "gemm" { gemmComparison(); continue }
                let r = ModelBenchmark.run(BenchmarkConfig.named(name)!, seconds: seconds)
                if output.json {
                    print(r.json)
                } else if r.mode == "generate" {
                    print(String(format: "%-24@ %9.1f us/token (p10-p90 %.1f-%.1f) %9.0f tokens/s %7.2f GFLOP/s  peak %6.0f MB", name, r.milliseconds * 1000,
                                 r.spread.p10 * 1000, r.spread.p90 * 1000, r.tokensPerSecond, r.gflops, r.peakRSSMegabytes))
                } else if r.mode == "beam" {
                    print(String(format: "%-24@ %9.2f ms/batch (p10-p90 %.2f-%.2f) %9.1f sentences/s %5.2f GFLOP/s  peak %6.0f MB", name, r.milliseconds,
                                 r.spread.p10, r.spread.p90, r.tokensPerSecond, r.gflops, r.peakRSSMegabytes))
                } else if r.mode == "gemm" {
                    print(String(format: "%-24@ %9.2f ms %26@ %7.1f GFLOP/s", name, r.milliseconds, "", r.gflops))
                } else {
                    print(String(format: "%-24@ %9.2f ms/step (p10-p90 %.2f-%.2f) %9.0f tokens/s %7.2f GFLOP/s  peak %6.0f MB", name, r.milliseconds,
                                 r.spread.p10, r.spread.p90, r.tokensPerSecond, r.gflops, r.peakRSSMegabytes))
                }
                fflush(nil)
            }
        }

        func gemmComparison() {
            for size in [1024, 2048] {
                var rates: [GEMMBackend: Double] = [:]
                for backend in GEMMBackend.available {
                    let r = GEMMBenchmark.run(size: size, backend: backend)
                    rates[backend] = r.gflops
                    if output.json {
                        print(#"{"config":"sgemm-\#(size)","mode":"gemm","backend":"\#(backend)","ms":\#(String(format: "%.3f", r.seconds * 1e3)),"gflops":\#(String(format: "%.1f", r.gflops))}"#)
                    } else {
                        print(String(format: "sgemm-%d  %-9@ %8.2f ms  %7.1f GFLOP/s", size, backend.rawValue, r.seconds * 1e3, r.gflops))
                    }
                }
                if !output.json, let own = rates[.builtin], let blas = rates[.openblas] {
                    print(String(format: "sgemm-%d  builtin/openblas = %.2f", size, own / blas))
                }
            }
        }
    }
}
