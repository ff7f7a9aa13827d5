import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn demo`: the main job — a character-level LSTM learns Shakespeare in a few minutes.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a character-level LSTM on tinyshakespeare for a few minutes, showing progress and samples.",
            discussion: "Finds tinyshakespeare through the data catalog ($RNN_DATA_DIR/tinyshakespeare, then the user cache).")

        @Option(help: "Training time in minutes.")
        var minutes: Double = 3
        @Option(help: "Where to write the trained model.")
        var out = "demo.safetensors"
        @Option(help: "Hidden units per layer.")
        var hidden = 256
        @Option(help: "Stacked LSTM layers.")
        var layers = 2
        @Option(help: "Validate and print a sample every N steps.")
        var validateEvery = 150
        @OptionGroup var seeding: SeedOption
        @OptionGroup var threads: ThreadsOption

        func validate() throws {
            try Check.settings(try TrainingBudget(minutes: minutes).validate(names: .options))
            try Check.count(hidden, "--hidden", in: 1...Int.max)
            try Check.count(layers, "--layers", in: 1...Int.max)
            try Check.count(validateEvery, "--validate-every", in: 1...Int.max)
        }

        func run() throws {
            // The demo replaces what an earlier demo wrote at --out, never another run's checkpoints.
            for path in [out, TrainingOptions.resumePath(for: out)] {
                guard let metadata = OutputFile.checkpointMetadata(path), metadata["kind"] is String else { continue }
                let made = metadata["command_line"] as? String
                if made?.hasPrefix("rnn demo") != true {
                    throw UsageError(description: "\(path) holds a model that `rnn demo` did not make (\(made ?? "its command line is not recorded")); give the demo another --out, or delete the file")
                }
            }
            let train = try TrainLM.parse([
                "--data", "tinyshakespeare", "--cell", "lstm", "--layers", "\(layers)", "--hidden", "\(hidden)",
                "--embedding", "64", "--seq", "64", "--batch", "32", "--optimizer", "adam", "--lr", "2e-3",
                "--minutes", "\(minutes)", "--validate-every", "\(validateEvery)", "--log-every", "25",
                "--seed", "\(seeding.seed)", "--out", out, "--force",
            ])
            var lastModel: LanguageModel?
            try userFacing {
                try runLanguageModelTraining(train) { model, step, _ in
                    lastModel = model
                    print("--- sample at step \(step) ---")
                    print(Self.sample(model, length: 200, seed: UInt64(step)))
                    print("---")
                }
            }
            if let model = lastModel {
                print("=== final sample (temperature 0.8) ===")
                print(Self.sample(model, length: 600, seed: seeding.seed))
            }
            print("try: rnn sample --model \(out) --prime 'ROMEO:' --temperature 0.8")
        }

        static func sample(_ model: LanguageModel, length: Int, seed: UInt64) -> String {
            var rng = SeededRNG(seed: seed)
            var out: [String] = []
            let prime = (try? model.encode("\n")) ?? []
            model.generate(prime: prime, length: length, options: SamplingOptions(temperature: 0.8), rng: &rng) {
                out.append(model.vocabulary.token($0))
            }
            return out.joined()
        }
    }
}
