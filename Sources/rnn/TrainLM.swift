import ArgumentParser
import Foundation
import Recurrent

/// `rnn train lm`: a character- or word-level language model.
struct TrainLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Train a character- or word-level language model (truncated BPTT, state carried across batches).",
        discussion: """
        Examples:
          rnn train lm --data tinyshakespeare --minutes 30 --out shakespeare.safetensors
          rnn train lm --data wikitext-2 --hidden 650 --dropout 0.5 \\
              --epochs 6 --out wiki.safetensors
          rnn train lm --text hello --hidden 16 --layers 1 --seq 4 --batch 1 \\
              --steps 200 --lr 0.01 --out hello.safetensors

        \(TrainLM.wordDefaultsText)
        """)

    @Option(help: "Training text: a file path, a data set name (tinyshakespeare, wikitext-2, ...), or - for standard input.")
    var data: String?
    @Option(help: "Train on this literal text instead of a file (no validation split).")
    var text: String?
    @Option(help: "Validation text file (default: the last 10% of --data; for wikitext-2 and ptb, their validation file).")
    var valid: String?
    @Option(help: "Tokens: char (one per Unicode scalar) or word (whitespace-separated, <eos> per line) (default: word for wikitext-2 and ptb, char otherwise).")
    var level: TextLevel?
    @Option(help: "Word level: keep words seen at least this many times; the rest become <unk>.")
    var minCount = 1
    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Regularisation and output layer") var regularisation: LanguageModelOptions
    @Option(help: "Steps of truncated backpropagation through time per batch (default: 64 for characters, 35 for words).")
    var seq: Int?
    @Option(help: "Parallel streams per batch (default: 32 for characters, 20 for words).")
    var batch: Int?
    @OptionGroup var training: TrainingArguments
    @OptionGroup var parallel: DistributedOptions

    func validate() throws {
        if (data == nil) == (text == nil) { throw ValidationError("give exactly one of --data FILE|NAME and --text TEXT") }
        if text?.isEmpty == true { throw ValidationError("--text must not be empty") }
        if let seq { try Check.count(seq, "--seq", in: 1...Int.max) }
        if let batch { try Check.count(batch, "--batch", in: 1...Int.max) }
        try Check.count(minCount, "--min-count", in: 1...Int.max)
        if minCount != 1 && textLevel == .char { throw ValidationError("--min-count makes rare words <unk> at word level; at character level every character is kept") }
    }

    func run() throws {
        try userFacing { try distributedRun(parallel.distributed) { try runLanguageModelTraining(self, communicator: $0, afterValidation: nil) } }
    }
}

/// The work behind `rnn train lm` and `rnn demo`.
func runLanguageModelTraining(_ c: TrainLM, communicator: Communicator? = nil, afterValidation: ((LanguageModel, Int, Double) -> Void)?) throws {
    let (corpus, source, validPath) = try collectively(communicator, "read the data") { try readLanguageModelCorpus(c) }
    let m = c.model
    let word = c.textLevel == .word
    let hidden = m.hidden ?? (word ? LanguageModelOptions.WordDefaults.hidden : 512)
    let layers = m.layers ?? (word ? LanguageModelOptions.WordDefaults.layers : 2)
    var config = LanguageModelConfig(level: c.textLevel, cell: m.cell, vocabularySize: corpus.vocabulary.count,
                                     embeddingSize: m.embedding ?? (c.textLevel == .char ? min(64, hidden) : hidden),
                                     hiddenSize: hidden, layers: layers, dropout: m.dropout ?? (word ? LanguageModelOptions.WordDefaults.dropout : 0))
    try c.regularisation.apply(to: &config)
    try Check.trainable(config.parameterCount)
    var rng = SeededRNG(seed: c.training.seed)
    let model = LanguageModel(config: config, vocabulary: corpus.vocabulary, rng: &rng)
    let task = LanguageModelTask(model: model, train: corpus.train, valid: corpus.valid.isEmpty ? nil : corpus.valid,
                                 batch: c.batchSize, seq: c.sequenceLength)
    let report = try trainTask(task, training: c.training, defaults: c.trainingDefaults, inputs: ["--data": c.text == nil ? source : nil, "--valid": validPath], describe: """
        data: \(source): \(corpus.train.count) training and \(corpus.valid.count) validation \(c.textLevel == .char ? "characters" : "words"), vocabulary \(corpus.vocabulary.count)
        model: \(layers) x \(m.cell) \(hidden), embedding \(config.embeddingSize), dropout \(config.dropout), \(model.parameterCount) parameters; batch \(c.batchSize) x \(c.sequenceLength)
        \(config.regularisationSummary)
        """, communicator: communicator) { trainer in
        if let afterValidation { trainer.afterValidation = { afterValidation(model, $0, $1) } }
    }
    if let loss = report.lastValidationLoss {
        let extra = c.textLevel == .char ? String(format: "%.3f bits/char", loss / log(2.0)) : String(format: "perplexity %.2f", exp(loss))
        print(String(format: "validation loss %.4f nats/token (%@); best %.4f", loss, extra, report.progress.bestLoss ?? loss))
    }
}

/// The corpus `rnn train lm` reads (`--data` or `--text`, and `--valid`), checked to fill one batch.
private func readLanguageModelCorpus(_ c: TrainLM) throws -> (corpus: LanguageModelCorpus, source: String, validPath: String?) {
    let trainText: String, validText: String?
    let source: String
    var validPath = try c.valid.map { try DataCatalog.resolve($0) }
    if let text = c.text {
        trainText = text
        validText = try validPath.map { try TextFile.read($0) }
        source = "--text"
    } else if let data = c.data {
        let path = try StandardInput.resolve(data)
        trainText = try StandardInput.text(path)
        if validPath == nil { validPath = DataCatalog.validationFile(of: data, resolvedAs: path) }
        validText = try validPath.map { try TextFile.read($0) }
        source = path
    } else {
        throw ValidationError("give exactly one of --data FILE|NAME and --text TEXT")
    }
    let corpus = LanguageModelCorpus(train: trainText, valid: c.text != nil && validText == nil ? "" : validText,
                                     level: c.textLevel, minimumCount: c.minCount)
    if let validPath, corpus.valid.count < 2 {
        throw DataError.tooShortToValidate(path: validPath, tokens: corpus.valid.count)
    }
    // One training batch needs T inputs and one more target in each of the B streams.
    let needed = ParameterCount.product(c.batchSize, c.sequenceLength.plusOneSaturating) ?? Int.max
    if corpus.train.count < needed {
        throw DataError.tooShort(path: source, tokens: corpus.train.count, needed: needed)
    }
    return (corpus, source, validPath)
}
