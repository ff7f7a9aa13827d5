import ArgumentParser
import Foundation
import Recurrent

/// `rnn train classify`: many-to-one text classification.
struct TrainClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a sequence classifier (sentiment, name -> language, ...).",
        discussion: """
        --data is a delimited file with a text and a label column (a header names them, or use \
        --text-column/--label-column; tab, comma, semicolon or pipe, sniffed from the header line), \
        a JSON Lines file (--text-field/--label-field, default text and label), a folder with one \
        file per class (one example per line), or - for standard input.
        Without --valid, a stratified 10% of --data is held out for validation (--valid-split F to \
        change the fraction, 0 for none), so the best model and early stopping have a measure.
        Numeric sequences: a .ts file (UCR/UEA archive format), a folder with NAME_TRAIN.ts and
        NAME_TEST.ts (trained on the first, tested on the second after training), or a CSV with
        --id-column (one row per time step) or --numeric (one row per sequence).
        Examples:
          rnn train classify --data sst2/train.tsv --valid sst2/dev.tsv \\
              --tokenizer whitespace --epochs 4 --out sst2.safetensors
          rnn train classify --data names --tokenizer char --valid-split 0.1 \\
              --epochs 10 --out names.safetensors
          rnn train classify --data timeseries/JapaneseVowels --epochs 60 \\
              --out vowels.safetensors
        """)

    @Option(help: "Training data: a TSV/CSV/JSONL file, a folder of per-class files, a .ts file or folder, a data set name (sst2/train.tsv, names, timeseries/GunPoint), or - for standard input.")
    var data: String
    @Option(help: "Validation data in the same format.")
    var valid: String?
    @Option(help: "Hold out this fraction of --data for validation (stratified by label, chosen by --seed) instead of --valid (default: 0.1 for text without --valid; 0 for none).")
    var validSplit: Double?
    @OptionGroup var textData: TextDataOptions
    @Option(help: "Tokens: word (punctuation split off), whitespace, char, or bpe (words cut into byte-pair pieces learned from the training texts) (default: chosen from the data: word, unless over 10% of the word tokens are of words seen once; then char, or bpe when the texts average over 200 characters).")
    var tokenizer: TextTokenizer?
    @Option(help: "With --tokenizer bpe: the byte-pair merges to learn from the training texts (more: longer pieces, a larger vocabulary; default \(TrainClassify.defaultMerges)).")
    var merges: Int?
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
    @OptionGroup var parallel: DistributedOptions

    func validate() throws {
        if valid != nil && validSplit != nil { throw ValidationError("give --valid or --valid-split, not both") }
        if data == "-" && valid == "-" { throw ValidationError("--data - and --valid - cannot both read standard input; give one as a file") }
        if let f = validSplit { try Check.number(f, "--valid-split", in: 0...0.99, " (0: no validation)") }
        if let batch { try Check.count(batch, "--batch", in: 1...Int.max) }
        try Check.count(minCount, "--min-count", in: 1...Int.max)
        if let merges {
            try Check.count(merges, "--merges", in: 1...1_000_000)
            if let tokenizer, tokenizer != .bpe { throw ValidationError("--merges is for --tokenizer bpe; drop it, or give --tokenizer bpe") }
        }
        if let patch { try Check.count(patch, "--patch", in: 1...NumericSequenceClassifier.Config.maximumPatch) }
        try Check.number(inputDropout, "--input-dropout", in: 0...0.999)
        try Check.number(inputNoise, "--input-noise", in: 0...1000)
    }

    func run() throws {
        try userFacing {
            let path = try StandardInput.resolve(data)
            if path != StandardInput.name, series.isNumeric(path) {
                if parallel.distributed { throw UsageError(description: "--distributed trains text classifiers; \(path) holds numeric sequences, trained in one process") }
                return try trainNumeric(path)
            }
            try distributedRun(parallel.distributed) { try trainText(path, communicator: $0) }
        }
    }

    /// A text classifier; with `communicator`, one rank of data-parallel training
    /// (each batch split among the ranks by tokens, see ``LengthBatcher/share(of:rank:size:)``).
    private func trainText(_ path: String, communicator: Communicator?) throws {
        let validPath = try valid.map { try StandardInput.resolve($0) }
        var (trainExamples, validExamples) = try collectively(communicator, "read the data") {
            (try textData.read(path), try validPath.map { try textData.read($0) })
        }
        if validPath == nil, let f = validSplit ?? Self.defaultValidSplit, f > 0 {
            let split = stratifiedSplit(trainExamples, fraction: f, seed: training.seed)
            trainExamples = split.train
            validExamples = split.held
            if validSplit == nil {
                print("validation: \(split.held.count) examples (a stratified \(Int(f * 100))% of \(path), chosen by --seed) held out; --valid FILE or --valid-split 0 to change")
            }
        }
        let labels = Array(Set(trainExamples.compactMap(\.label))).sorted()
        guard labels.count >= 2 else {
            throw UserFacingError(description: "\(path): a classifier needs at least 2 labels, found \(labels.count) (\(labels.joined(separator: ", ")))")
        }
        let tokenizer = try chosenTokenizer(trainExamples)
        // Subwords: merges learned from the training texts' words only (never the validation texts).
        let subwords = tokenizer == .bpe
            ? BytePairEncoding(learningFrom: trainExamples.flatMap { tokenizer.tokens($0.text, lowercase: lowercase) }, merges: merges ?? Self.defaultMerges) : nil
        var config = SequenceClassifierConfig(
            tokenizer: tokenizer, lowercase: lowercase, cell: model.cell, vocabularySize: 2,
            embeddingSize: model.embedding ?? 100, hiddenSize: model.hidden ?? 256, layers: model.layers ?? 1,
            bidirectional: bidirectional ?? false, dropout: model.dropout ?? 0, pooling: pooling ?? .max, labels: labels, subwords: subwords)
        let vocabulary = Vocabulary(counting: trainExamples.flatMap { config.tokens($0.text) }, specials: [Vocabulary.padding, Vocabulary.unknown],
                                    minimumCount: minCount)
        config.vocabularySize = vocabulary.count
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
        try trainTask(task, training: training, defaultSelect: .accuracy, selectable: [.loss, .accuracy, .macroF1],
                      inputs: ["--data": path, "--valid": validPath, "--embeddings": embeddings],
                      describe: """
            data: \(path): \(trainExamples.count) training and \(validExamples?.count ?? 0) validation examples, \(labels.count) labels, vocabulary \(vocabulary.count)\(subwords.map { " (subword pieces of \($0.merges.count) byte-pair merges)" } ?? "")
            model: \(config.layers) x \(config.bidirectional ? "bidirectional " : "")\(config.cell) \(config.hiddenSize), embedding \(config.embeddingSize), \(config.pooling) pooling, dropout \(config.dropout), \(classifier.parameterCount) parameters
            """, communicator: communicator)
        if let v = task.valid {
            let r = classifier.evaluate(v)
            print(String(format: "validation accuracy %.4f, macro-F1 %.4f (final model; the best by %@ is in %@)", r.metrics.accuracy, r.metrics.macroF1, (training.select ?? .accuracy).rawValue, training.out))
        }
    }

    /// The fraction held out for validation when neither --valid nor --valid-split is given.
    static let defaultValidSplit: Double? = 0.1
    /// Byte-pair merges learned for --tokenizer bpe when --merges is not given.
    static let defaultMerges = 4000

    /// --tokenizer, or the one the data calls for (printed with the reason).
    func chosenTokenizer(_ examples: [LabeledText]) throws -> TextTokenizer {
        if let tokenizer { return tokenizer }
        let choice = TextTokenizer.suggested(for: examples.map(\.text), lowercase: lowercase)
        print(String(format: "tokenizer: %@ (chosen from the data: %.1f%% of the word tokens are of words seen once, texts of %.0f characters on average; --tokenizer to choose)",
                     choice.tokenizer.rawValue, choice.singletonShare * 100, choice.meanCharacters))
        return choice.tokenizer
    }
}
