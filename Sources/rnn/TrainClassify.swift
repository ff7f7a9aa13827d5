import ArgumentParser
import Foundation
import Recurrent

/// `rnn train classify`: many-to-one text classification.
struct TrainClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a sequence classifier (sentiment, name -> language, ...).",
        discussion: """
        --data is a TSV/CSV file with a text and a label column (a header names them, or use
        --text-column/--label-column), or a folder with one file per class (one example per line).
        Numeric sequences: a .ts file (UCR/UEA archive format), a folder with NAME_TRAIN.ts and
        NAME_TEST.ts (trained on the first, tested on the second after training), or a CSV with
        --id-column (one row per time step) or --numeric (one row per sequence).
        Examples:
          rnn train classify --data sst2/train.tsv --valid sst2/dev.tsv --tokenizer whitespace --epochs 4 --out sst2.safetensors
          rnn train classify --data names --tokenizer char --valid-split 0.1 --epochs 10 --out names.safetensors
          rnn train classify --data timeseries/JapaneseVowels --epochs 60 --out vowels.safetensors
        """)

    @Option(help: "Training data: a TSV/CSV file, a folder of per-class files, a .ts file or folder, or a data set name (sst2/train.tsv, names, timeseries/GunPoint).")
    var data: String
    @Option(help: "Validation data in the same format.")
    var valid: String?
    @Option(help: "Hold out this fraction of --data for validation (stratified by label, chosen by --seed) instead of --valid.")
    var validSplit: Double?
    @Option(help: "The text column: a header name or a 1-based number.")
    var textColumn: String?
    @Option(help: "The label column: a header name or a 1-based number.")
    var labelColumn: String?
    @Option(help: "Tokens: word (punctuation split off), whitespace, or char.")
    var tokenizer: TextTokenizer = .word
    @Flag(help: "Lowercase the text before tokenizing.")
    var lowercase = false
    @Option(help: "Keep tokens seen at least this many times in training; the rest become <unk>.")
    var minCount = 1
    @Option(help: "Summary of the sequence: last (final state), mean or max over the real steps (default: max for text, \(NumericDefaults.pooling) for numbers).")
    var pooling: Pooling?
    @Flag(inversion: .prefixedNo, help: "Run the recurrent layers in both directions (default: no for text, yes for numbers).")
    var bidirectional: Bool?
    @Option(help: "Word vectors in GloVe/word2vec text format to initialise the embedding (its size must match --embedding).")
    var embeddings: String?
    @Option(help: "Examples per batch (default: 64 for text, \(NumericDefaults.batch) for numbers).")
    var batch: Int?
    @OptionGroup var series: SeriesFormatOptions
    @Option(help: "Numbers: missing values (?, NaN, empty): refuse, carry (last value forward) or mask (zero plus a mask channel).")
    var missing: MissingValues = .refuse
    @Option(help: "Numbers: group this many consecutive steps into one recurrent step (default: the longest training series / (\(NumericDefaults.stepsPerChannel) x channels), at least 1).")
    var patch: Int?
    @Option(help: "Numbers: dropout on the scaled input values in training.")
    var inputDropout: Float = 0
    @Option(help: "Numbers: add Gaussian noise of this standard deviation to the scaled input values in training.")
    var inputNoise: Float = 0
    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingArguments

    func validate() throws {
        if valid != nil && validSplit != nil { throw ValidationError("give --valid or --valid-split, not both") }
        if let f = validSplit, !(f > 0 && f < 1) { throw ValidationError("--valid-split must lie between 0 and 1, got \(f)") }
        if let batch { try Check.count(batch, "--batch", in: 1...Int.max) }
        try Check.count(minCount, "--min-count", in: 1...Int.max)
        if let patch { try Check.count(patch, "--patch", in: 1...NumericSequenceClassifier.Config.maximumPatch) }
        try Check.number(inputDropout, "--input-dropout", in: 0...0.999)
        try Check.number(inputNoise, "--input-noise", in: 0...1000)
    }

    func run() throws {
        try userFacing {
            let path = try DataCatalog.resolve(data)
            if series.isNumeric(path) { return try trainNumeric(path) }
            var trainExamples = try ClassificationData.read(path, textColumn: textColumn, labelColumn: labelColumn)
            var validExamples = try valid.map { try ClassificationData.read(try DataCatalog.resolve($0), textColumn: textColumn, labelColumn: labelColumn) }
            if let f = validSplit {
                let split = stratifiedSplit(trainExamples, fraction: f, seed: training.seed)
                trainExamples = split.train
                validExamples = split.held
            }
            let labels = Array(Set(trainExamples.compactMap(\.label))).sorted()
            guard labels.count >= 2 else {
                throw UserFacingError(description: "\(path): a classifier needs at least 2 labels, found \(labels.count) (\(labels.joined(separator: ", ")))")
            }
            let tokens = trainExamples.lazy.flatMap { tokenizer.tokens($0.text, lowercase: lowercase) }
            let vocabulary = Vocabulary(counting: tokens, specials: [Vocabulary.padding, Vocabulary.unknown], minimumCount: minCount)
            let config = SequenceClassifierConfig(
                tokenizer: tokenizer, lowercase: lowercase, cell: model.cell, vocabularySize: vocabulary.count,
                embeddingSize: model.embedding ?? 100, hiddenSize: model.hidden ?? 256, layers: model.layers ?? 1,
                bidirectional: bidirectional ?? false, dropout: model.dropout ?? 0, pooling: pooling ?? .max, labels: labels)
            try Check.trainable(config.parameterCount)
            var rng = SeededRNG(seed: training.seed)
            let classifier = SequenceClassifier(config: config, vocabulary: vocabulary, rng: &rng)
            if let embeddings {
                let pretrained = try PretrainedEmbeddings.load(embeddings, vocabulary: vocabulary, dimension: classifier.embedding.embeddingSize, lowercase: lowercase)
                classifier.embedding.copyRows(pretrained.found, from: pretrained.vectors)
                print("embeddings: \(pretrained.found.count) of \(vocabulary.count) vocabulary words found in \(embeddings)")
            }
            let task = ClassificationTask(model: classifier, train: try classifier.encode(trainExamples),
                                          valid: try validExamples.map { try classifier.encode($0) }, batch: batch ?? 64)
            try trainTask(task, training: training, defaultSelect: "accuracy",
                          inputs: ["--data": path, "--valid": try valid.map { try DataCatalog.resolve($0) }, "--embeddings": embeddings],
                          describe: """
                data: \(path): \(trainExamples.count) training and \(validExamples?.count ?? 0) validation examples, \(labels.count) labels, vocabulary \(vocabulary.count)
                model: \(config.layers) x \(config.bidirectional ? "bidirectional " : "")\(config.cell) \(config.hiddenSize), embedding \(config.embeddingSize), \(config.pooling) pooling, dropout \(config.dropout), \(classifier.parameterCount) parameters
                """)
            if let v = task.valid {
                let r = classifier.evaluate(v)
                print(String(format: "validation accuracy %.4f, macro-F1 %.4f (final model; the best by %@ is in %@)", r.metrics.accuracy, r.metrics.macroF1, training.select ?? "accuracy", training.out))
            }
        }
    }
}
