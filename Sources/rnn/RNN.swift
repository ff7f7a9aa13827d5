import ArgumentParser
import Recurrent

@main
struct RNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn",
        abstract: "Train, evaluate, sample and benchmark recurrent neural networks.",
        version: Recurrent.version,
        subcommands: [Info.self, Bench.self]
    )
}
