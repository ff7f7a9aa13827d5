import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn explain`: pictures of what happens inside a recurrent network.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what happens inside a recurrent network, as a self-contained HTML page.",
            subcommands: [ExplainActivations.self, ExplainGradients.self])
    }
}
