import ArgumentParser
import Foundation
import Recurrent

extension ConditionSource: ExpressibleByArgument {}

/// `rnn train generate`: one-to-many, a sequence from a label or a feature vector.
struct TrainGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Train a conditional generator: a sequence from a class label or a feature vector (the captioning shape).",
        discussion: """
        The condition sets the decoder's initial state through a learned projection and, unless
        --no-feed-every-step, is also appended to every step's input. Teacher forcing; each
        sequence ends with <eos>.
        --data is a folder with one file per label (one text per line, as `names`) or a TSV/CSV
        with a text and a label column. --features/--captions give one feature row per caption line.
        Examples:
          rnn train generate --data names --minutes 3 --out names-gen.safetensors
          rnn train generate --data names --unconditioned --minutes 3 \\
              --out names-lm.safetensors
          rnn train generate --features feats.npy --captions captions.txt \\
              --level word --epochs 20 --out captioner.safetensors
        """)

    @Option(help: "Texts with labels: a folder of per-label files, a TSV/CSV, or a data set name (names).")
    var data: String?
    @Option(help: "Feature vectors, one row per caption: .safetensors, .npy or CSV.")
    var features: String?
    @Option(help: "Captions, one per line, in the order of the feature rows.")
    var captions: String?
    @Option(help: "Tokens: char (one per Unicode scalar) or word (whitespace-separated).")
    var level: TextLevel = .char
    @Flag(help: "Ignore the labels: the same decoder from a zero state (the baseline the condition is measured against).")
    var unconditioned = false
    @Option(help: "Label embedding size (labels only; features use their own width).")
    var conditionSize = 32
    @Flag(inversion: .prefixedNo, help: "Append the condition to every step's input, besides setting the initial state.")
    var feedEveryStep = true
    @Option(help: "Hold out this fraction for validation (stratified by label, chosen by --seed); 0 for none.")
    var validSplit = 0.1
    @OptionGroup var textData: TextDataOptions
    @Option(help: "Sequences per batch.")
    var batch = 64
    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingArguments

    func validate() throws {
        if (data == nil) == (features == nil) { throw ValidationError("give --data (texts with labels) or --features with --captions") }
        if (features == nil) != (captions == nil) { throw ValidationError("--features and --captions go together: one caption per feature row") }
        if unconditioned && features != nil { throw ValidationError("--unconditioned applies to --data; drop --features to train without a condition") }
        try Check.number(validSplit, "--valid-split", in: 0...0.99)
        try Check.count(batch, "--batch", in: 1...Int.max)
        try Check.count(conditionSize, "--condition-size", in: 1...Int.max)
    }

    func run() throws {
        try userFacing {
            let source: ConditionSource, path: String
            var examples: [LabeledText]
            var featureRows: Tensor? = nil
            if let features, let captions {
                source = .features
                let rows = try FeatureFile.read(features)
                let captionsPath = try DataCatalog.resolve(captions)
                examples = try FeatureFile.captions(captionsPath)
                try FeatureFile.checkPaired(features: rows, path: features, captions: examples, captionsPath: captionsPath)
                featureRows = rows
                path = captionsPath
            } else {
                source = unconditioned ? .none : .label
                path = try DataCatalog.resolve(data!)
                examples = try textData.read(path)
            }
            let vocabulary = ConditionalGenerator.vocabulary(for: examples.map(\.text), level: level)
            var trainExamples = examples, validExamples: [LabeledText] = []
            if validSplit > 0 { (trainExamples, validExamples) = stratifiedSplit(examples, fraction: validSplit, seed: training.seed) }
            let labels = source == .label ? Array(Set(trainExamples.compactMap(\.label))).sorted() : []
            let width: Int = source == .label ? conditionSize : (featureRows?.shape[1] ?? 0)
            let config = ConditionalGeneratorConfig(
                level: level, cell: model.cell, vocabularySize: vocabulary.count, embeddingSize: model.embedding ?? 32,
                hiddenSize: model.hidden ?? 128, layers: model.layers ?? 2, dropout: model.dropout ?? 0, source: source,
                conditionSize: width, labels: labels,
                feedEveryStep: source != .none && feedEveryStep)
            do { try config.validate() } catch { throw UserFacingError(description: "\(path): \(error)") }
            try Check.trainable(config.parameterCount)
            var rng = SeededRNG(seed: training.seed)
            let generator = ConditionalGenerator(config: config, vocabulary: vocabulary, rng: &rng)
            func encode(_ part: [LabeledText]) throws -> ConditionalExamples {
                guard let featureRows else { return try generator.encode(part) }
                let encoded = try generator.encode(part)
                return ConditionalExamples(conditions: ConditionInput.features(featureRows).select(part.map { $0.line - 1 }),
                                           sequences: encoded.sequences)
            }
            let task = ConditionalGenerationTask(model: generator, train: try encode(trainExamples),
                                                 valid: validExamples.isEmpty ? nil : try encode(validExamples), batch: batch)
            let conditionText: String
            switch source {
            case .none: conditionText = "none (unconditioned)"
            case .label: conditionText = "\(labels.count) labels, embedding \(conditionSize)"
            case .features: conditionText = "\(config.conditionSize) features from \(features!)"
            }
            let inputs: [String: String?] = source == .features ? ["--features": features, "--captions": path] : ["--data": path]
            try trainTask(task, training: training, inputs: inputs, describe: """
                data: \(path): \(trainExamples.count) training and \(validExamples.count) validation sequences, vocabulary \(vocabulary.count) (\(level))
                model: condition \(conditionText)\(config.feedEveryStep ? ", fed every step" : ", initial state only") -> \(config.layers) x \(config.cell) \(config.hiddenSize), embedding \(config.embeddingSize), dropout \(config.dropout), \(generator.parameterCount) parameters
                """)
            if let v = task.valid {
                let r = generator.evaluate(v)
                print(String(format: "validation loss %.4f nats/token over %d tokens (final model; the best is in %@)", r.loss, r.tokens, training.out))
            }
        }
    }
}
