import ArgumentParser
import Foundation
import Recurrent

/// `--model FILE`: the checkpoint a command reads (every command but `train`,
/// whose `--model`-like options describe the network to build).
struct ModelFileOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "A checkpoint written by `rnn train` (a .safetensors file).")
    var path: String
}

/// `--seed N`: the one source of randomness of a command.
struct SeedOption: ParsableArguments {
    @Option(help: "Random seed (initialisation, dropout, shuffling, sampling and held-out splits).")
    var seed: UInt64 = 1
}

/// `--json`: machine-readable output instead of text.
struct JSONOption: ParsableArguments {
    @Flag(help: "Print JSON instead of text.")
    var json = false
}

/// `--threads N`: how many threads the kernels use. It sets `RNN_THREADS`
/// during argument validation, before any kernel reads `Threads.count` (read
/// once per process), so every command gets it without touching its `run()`.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for the kernels (default: RNN_THREADS when set, else every core).")
    var threads: Int?

    func validate() throws {
        guard let threads else { return }
        try Check.count(threads, "--threads", in: 1...EnvironmentCheck.maximumThreads)
        setenv("RNN_THREADS", String(threads), 1)
        guard Threads.count == threads else {
            throw ValidationError("--threads \(threads) could not be applied (the kernels already run with \(Threads.count))")
        }
    }
}
