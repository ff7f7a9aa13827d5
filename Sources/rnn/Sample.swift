import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn sample`: stream generated text.
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate text from a language model, streamed as it is produced.")

        @Option(help: "A language-model checkpoint written by `rnn train lm`.")
        var model: String
        @Option(help: "Text to start from (default: a newline).")
        var prime = ""
        @Option(help: "How many tokens to generate.")
        var length = 500
        @Option(help: "Sampling temperature: below 1 is more conservative, above 1 more surprising.")
        var temperature: Float = 1
        @Option(help: "Sample only among the K most likely tokens.")
        var topK: Int?
        @Option(help: "Random seed.")
        var seed: UInt64 = 1
        @Flag(help: "Always take the most likely token (greedy).")
        var argmax = false
        @Flag(help: "Do not print the prime text before the generated text.")
        var noPrime = false
        @Option(help: "Precision of the products: fp32, or bf16 (weights rounded to bfloat16 once, float accumulation; needs AVX512-BF16).")
        var precision: Precision = .fp32

        func validate() throws {
            guard length >= 0 else { throw ValidationError("--length must not be negative") }
            try Check.positive(temperature, "--temperature")
            if let k = topK { try Check.count(k, "--top-k", in: 1...Int.max) }
            if let why = precision.problem { throw ValidationError(why) }
        }

        func run() throws {
            try userFacing {
                Precision.processDefault = precision
                let lm = try LanguageModel(contentsOf: model)
                let primeIDs = try lm.encode(prime)
                var rng = SeededRNG(seed: seed)
                if !noPrime { print(prime, terminator: "") }
                let level = lm.config.level
                lm.generate(prime: primeIDs, length: length, options: SamplingOptions(temperature: temperature, topK: topK, argmax: argmax),
                            rng: &rng) { id in
                    print(level.join([lm.vocabulary.token(id)]), terminator: "")
                    fflush(nil)
                }
                print("")
            }
        }
    }
}
