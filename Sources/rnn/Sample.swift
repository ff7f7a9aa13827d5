import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn sample`: stream generated text.
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate text from a language model, or sequences from a conditional generator.",
            discussion: """
            A language model continues --prime for --length tokens, streamed as they are produced.
            A conditional generator (`rnn train generate`) writes --count sequences for --condition LABEL
            or for row --row of --features FILE, each ending at <eos> or --max-length tokens.
            Examples:
              rnn sample --model shakespeare.safetensors --prime "ROMEO:" --temperature 0.8
              rnn sample --model names-gen.safetensors --condition Russian --count 10
              rnn sample --model captioner.safetensors --features feats.npy --row 3 --beam 4
            """)

        @OptionGroup var modelFile: ModelFileOption
        @Option(help: "Text to start from (default: a newline for a language model, nothing for a generator).")
        var prime = ""
        @Option(name: .customLong("length"), help: "Language model: how many tokens to generate (default: 500).")
        var lengthOption: Int?
        @Option(name: .customLong("temperature"), help: "Sampling temperature: below 1 is more conservative, above 1 more surprising (default: 1).")
        var temperatureOption: Float?
        @Option(help: "Sample only among the K most likely tokens.")
        var topK: Int?
        @OptionGroup var seeding: SeedOption
        @OptionGroup var threads: ThreadsOption
        @Flag(help: "Always take the most likely token (greedy).")
        var argmax = false
        @Option(help: "Beam search with this many beams instead of sampling (a generator prints the --count best).")
        var beam: Int?
        @Flag(help: "Do not print the prime text before the generated text.")
        var noPrime = false
        @Option(help: "Precision of the products: fp32, or bf16 (weights rounded to bfloat16 once, float accumulation; needs AVX512-BF16).")
        var precision: Precision = .fp32
        @Option(help: "Generator: the label to generate for (e.g. a language of `names`).")
        var condition: String?
        @Option(help: "Generator: a feature file (.safetensors, .npy or CSV) holding the vector to caption.")
        var features: String?
        @Option(name: .customLong("row"), help: "Generator: the row of --features to caption, counting from 0 (default: 0).")
        var rowOption: Int?
        @Option(name: .customLong("count"), help: "Generator: how many sequences to write (default: 1).")
        var countOption: Int?
        @Option(name: .customLong("max-length"), help: "Generator: the most tokens per sequence (default: 100).")
        var maxLengthOption: Int?

        var length: Int { lengthOption ?? 500 }
        var temperature: Float { temperatureOption ?? 1 }
        var row: Int { rowOption ?? 0 }
        var count: Int { countOption ?? 1 }
        var maxLength: Int { maxLengthOption ?? 100 }

        func validate() throws {
            try Check.count(length, "--length", in: 0...Int.max)
            try Check.positive(temperature, "--temperature")
            if let k = topK { try Check.count(k, "--top-k", in: 1...Int.max) }
            try Check.settings(try precision.validate())
            if let beam { try Check.count(beam, "--beam", in: 1...1000) }
            if argmax && topK != nil { throw ValidationError("--argmax takes the most likely token; it does not combine with --top-k") }
            if beam != nil && count > 1000 { throw ValidationError("--count with --beam lists the beam's best hypotheses: at most 1000, got \(count)") }
            if beam != nil && (argmax || topK != nil) { throw ValidationError("--beam searches; it does not combine with --argmax or --top-k") }
            if condition != nil && features != nil { throw ValidationError("give --condition or --features, not both") }
            if beam != nil && temperatureOption != nil { throw ValidationError("--beam searches for the most likely text; --temperature is for sampling") }
            if rowOption != nil && features == nil { throw ValidationError("--row picks a row of --features; give --features FILE too") }
            try Check.count(row, "--row", in: 0...Int.max)
            try Check.count(count, "--count", in: 1...1_000_000)
            try Check.count(maxLength, "--max-length", in: 1...1_000_000)
        }

        var options: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, argmax: argmax) }

        func run() throws {
            try userFacing {
                Precision.processDefault = precision
                let checkpoint = try Checkpoint.read(modelFile.path)
                if checkpoint.kind == ConditionalGenerator.kind || condition != nil || features != nil {
                    try sampleConditional(try ConditionalGenerator(checkpoint: checkpoint))
                    return
                }
                if countOption != nil || maxLengthOption != nil {
                    throw UsageError(description: "--count and --max-length are for a conditional generator; \(modelFile.path) holds a language model: give --length")
                }
                let lm = try LanguageModel(checkpoint: checkpoint)
                let primeIDs = try lm.encode(prime)
                var rng = SeededRNG(seed: seeding.seed)
                let level = lm.config.level
                // Generated words are written "word "; a prime that ends inside a word gets its space too.
                if !noPrime { print(prime + (level == .word && !prime.isEmpty && !(prime.last?.isWhitespace ?? true) ? " " : ""), terminator: "") }
                if let beam {
                    let best = lm.beamSearch(prime: primeIDs, width: beam, length: length)
                    print(level.join(best.tokens.map { lm.vocabulary.token($0) }))
                    return
                }
                lm.generate(prime: primeIDs, length: length, options: options, rng: &rng) { id in
                    print(level.join([lm.vocabulary.token(id)]), terminator: "")
                    fflush(nil)
                }
                print("")
            }
        }

        func sampleConditional(_ generator: ConditionalGenerator) throws {
            if lengthOption != nil {
                throw UsageError(description: "--length is for a language model; a generator's sequences end at <eos> or --max-length")
            }
            let config = generator.config
            let chosen: ConditionalGenerator.Condition
            switch config.source {
            case .none:
                guard condition == nil && features == nil else {
                    throw UserFacingError(description: "\(modelFile.path): this generator was trained without a condition; drop --condition and --features")
                }
                chosen = .none
            case .label:
                guard let condition else {
                    throw UserFacingError(description: "\(modelFile.path): give --condition LABEL, one of \(config.labels.joined(separator: ", "))")
                }
                chosen = .label(try generator.labelID(condition))
            case .features:
                guard let features else {
                    throw UserFacingError(description: "\(modelFile.path): this generator captions feature vectors; give --features FILE and --row N")
                }
                let rows = try FeatureFile.read(features)
                chosen = .features(try FeatureFile.row(row, of: rows, path: features, width: config.conditionSize))
            }
            let primeIDs = try generator.encode(prime)
            var shownPrime = noPrime ? "" : prime
            if !shownPrime.isEmpty && config.level == .word { shownPrime += " " }
            if let beam {
                for h in generator.beamSearch(chosen, prime: primeIDs, width: max(beam, count), maxLength: maxLength).prefix(count) {
                    print(shownPrime + generator.decode(h.tokens))
                }
                return
            }
            var rng = SeededRNG(seed: seeding.seed)
            for _ in 0..<count {
                let ids = generator.generate(chosen, prime: primeIDs, maxLength: maxLength, options: options, rng: &rng)
                print(shownPrime + generator.decode(ids))
            }
        }
    }
}
