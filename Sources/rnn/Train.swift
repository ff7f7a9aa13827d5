import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn train`: one subcommand per task model.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model.",
            subcommands: [TrainLM.self, TrainClassify.self, TrainTag.self, TrainGenerate.self, TrainTranslate.self, TrainForecast.self])
    }
}
