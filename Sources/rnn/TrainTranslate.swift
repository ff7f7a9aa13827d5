import ArgumentParser
import Foundation
import Recurrent

extension AttentionScore: ExpressibleByArgument {}

/// Where translation pairs come from: a named set's files or explicit paths.
struct ParallelDataOptions: ParsableArguments {
    @Option(help: "A translation data set (multi30k); with --from and --to.")
    var data: String?
    @Option(help: "Source language of --data (de or en for multi30k).")
    var from: String?
    @Option(help: "Target language of --data.")
    var to: String?
    @Option(help: "Training source sentences, one per line.")
    var source: String?
    @Option(help: "Training target sentences, line i translating line i of --source.")
    var target: String?
    @Option(help: "Validation source sentences.")
    var validSource: String?
    @Option(help: "Validation target sentences.")
    var validTarget: String?
    @Option(help: "Sentences longer than this many words are cut (and reported).")
    var maxWords = 80

    func validate() throws {
        if data != nil {
            guard from != nil, to != nil, from != to else { throw ValidationError("--data needs --from and --to, two different languages (e.g. --from de --to en)") }
            if source != nil || target != nil { throw ValidationError("give either --data with --from/--to or --source/--target, not both") }
        } else if source == nil || target == nil {
            throw ValidationError("give --data NAME --from L1 --to L2, or --source FILE --target FILE")
        }
        if (validSource == nil) != (validTarget == nil) { throw ValidationError("give both --valid-source and --valid-target, or neither") }
        try Check.count(maxWords, "--max-words", in: 1...100_000)
    }

    /// (source, target) paths for training and, when there are any, validation.
    func paths() throws -> (train: (String, String), valid: (String, String)?) {
        if let data, let from, let to {
            let train = (try DataCatalog.resolve(data, file: "train.\(from)"), try DataCatalog.resolve(data, file: "train.\(to)"))
            let valid = validSource == nil
                ? (try DataCatalog.resolve(data, file: "val.\(from)"), try DataCatalog.resolve(data, file: "val.\(to)"))
                : (try DataCatalog.resolve(validSource!), try DataCatalog.resolve(validTarget!))
            return (train, valid)
        }
        let valid = try validSource.map { (try DataCatalog.resolve($0), try DataCatalog.resolve(validTarget!)) }
        return ((try DataCatalog.resolve(source!), try DataCatalog.resolve(target!)), valid)
    }

    /// Reads a pair of files, printing what was skipped or cut.
    func read(_ paths: (String, String), lowercase: Bool) throws -> ParallelText {
        let text = try ParallelText.read(source: paths.0, target: paths.1, lowercase: lowercase, maxWords: maxWords)
        if let note = text.report(source: paths.0, target: paths.1, maxWords: maxWords) { print(note) }
        return text
    }
}

/// `rnn train translate`: an encoder-decoder with attention on sentence pairs.
struct TrainTranslate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Train an encoder-decoder with attention on sentence pairs (translation).",
        discussion: """
        Examples:
          rnn train translate --data multi30k --from de --to en --minutes 30 \\
              --out de-en.safetensors
          rnn train translate --source train.de --target train.en \\
              --valid-source val.de --valid-target val.en --epochs 10 \\
              --out de-en.safetensors
        """)

    @OptionGroup var pairs: ParallelDataOptions
    @Flag(help: "Lowercase both sides (the output is then lowercase too).")
    var lowercase = false
    @Option(help: "Keep words seen at least this many times in training; the rest become <unk>.")
    var minCount = 2
    @Option(help: "Subword units: learn this many byte-pair merges from both sides' training words and read and write pieces (0: whole words; 10000 gave +2.0 test BLEU on Multi30k at equal training, docs/results.md).")
    var bpe = 0
    @Option(help: "Attention score: additive (Bahdanau), general or dot (Luong). On Multi30k additive learned to align where general did not (docs/results.md).")
    var attention: AttentionScore = .additive
    @Option(help: "Additive attention's hidden size (default: the hidden size).")
    var attentionSize: Int?
    @Flag(help: "Feed each step's attentional vector into the next decoder input (slower: the decoder then runs step by step).")
    var inputFeeding = false
    @Flag(help: "Tie the output layer's weight to the target embedding (the embedding size becomes the hidden size).")
    var tiedEmbeddings = false
    @Option(help: "Scheduled sampling: the largest probability of feeding the decoder its own prediction instead of the reference word in training (0: never).")
    var scheduledSampling = 0.0
    @Option(help: "Epochs over which the scheduled-sampling probability rises linearly from 0.")
    var samplingRamp = 2.0
    @Option(help: "Sentence pairs per batch.")
    var batch = 64
    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingArguments

    func validate() throws {
        try Check.count(batch, "--batch", in: 1...1_000_000)
        try Check.count(minCount, "--min-count", in: 1...Int.max)
        try Check.count(bpe, "--bpe", in: 0...1_000_000)
        if let a = attentionSize { try Check.count(a, "--attention-size", in: 1...1_000_000) }
        guard scheduledSampling.isFinite, (0...1).contains(scheduledSampling) else {
            throw ValidationError("--scheduled-sampling must be a probability in 0...1, got \(scheduledSampling)")
        }
        guard samplingRamp.isFinite, samplingRamp >= 0 else { throw ValidationError("--sampling-ramp must be 0 or more epochs, got \(samplingRamp)") }
        if tiedEmbeddings, let e = model.embedding, e != (model.hidden ?? 256) {
            throw ValidationError("--tied-embeddings needs --embedding equal to --hidden (or no --embedding)")
        }
        if model.cell != .lstm && model.cell != .gru { throw ValidationError("--cell must be lstm or gru for translate") }
    }

    func run() throws {
        try userFacing {
            let paths = try pairs.paths()
            let train = try pairs.read(paths.train, lowercase: lowercase)
            let valid = try paths.valid.map { try pairs.read($0, lowercase: lowercase) }
            let subwords = bpe == 0 ? nil : BytePairEncoding(learningFrom: train.pairs.flatMap { $0.source + $0.target }, merges: bpe)
            let units = { (words: [String]) in subwords?.pieces(words) ?? words }
            let source = Vocabulary(counting: train.pairs.flatMap { units($0.source) }, specials: Seq2Seq.specials, minimumCount: minCount)
            let target = Vocabulary(counting: train.pairs.flatMap { units($0.target) }, specials: Seq2Seq.specials, minimumCount: minCount)
            let hidden = model.hidden ?? 256, layers = model.layers ?? 1
            let config = Seq2SeqConfig(cell: model.cell, lowercase: lowercase, sourceVocabularySize: source.count,
                                       targetVocabularySize: target.count, embeddingSize: tiedEmbeddings ? hidden : (model.embedding ?? hidden),
                                       encoderHiddenSize: attention == .dot ? hidden / 2 : hidden, encoderLayers: layers,
                                       decoderHiddenSize: hidden, decoderLayers: layers, attention: attention,
                                       attentionSize: attentionSize ?? hidden, inputFeeding: inputFeeding, dropout: model.dropout ?? 0,
                                       tiedEmbeddings: tiedEmbeddings, subwords: subwords)
            do { try config.validate() } catch { throw UsageError(description: "\(error)") }
            try Check.trainable(config.parameterCount)
            var rng = SeededRNG(seed: training.seed)
            let seq2seq = Seq2Seq(config: config, source: source, target: target, rng: &rng)
            let task = TranslationTask(model: seq2seq, train: train.pairs, valid: valid?.pairs ?? [], batch: batch)
            if scheduledSampling > 0 { task.scheduledSampling = ScheduledSampling(probability: scheduledSampling, rampEpochs: samplingRamp) }
            let sampling = scheduledSampling > 0 ? String(format: "; scheduled sampling up to %.2f over %g epochs", scheduledSampling, samplingRamp) : ""
            let inputs = ["--source": paths.train.0, "--target": paths.train.1, "--valid-source": paths.valid?.0, "--valid-target": paths.valid?.1]
            let report = try trainTask(task, training: training, defaultSelect: valid == nil ? .loss : .bleu, selectable: [.loss, .bleu],
                                       inputs: inputs, describe: """
                data: \(paths.train.0) -> \(paths.train.1): \(train.pairs.count) training pairs, \(valid?.pairs.count ?? 0) validation; vocabulary \(source.count) source, \(target.count) target \(subwords.map { "subword pieces (\($0.merges.count) byte-pair merges)" } ?? "words") (min count \(minCount))
                model: embedding \(config.embeddingSize) -> \(layers) x bidirectional \(config.cell) \(config.encoderHiddenSize) -> \(attention) attention -> \(layers) x \(config.cell) \(hidden)\(inputFeeding ? " with input feeding" : ""), dropout \(config.dropout), \(seq2seq.parameterCount) parameters\(sampling)
                """)
            if let loss = report.lastValidationLoss {
                print(String(format: "validation loss %.4f nats/word (perplexity %.2f); best %@ %.4f", loss, exp(loss),
                             (training.select ?? (valid == nil ? .loss : .bleu)).rawValue, report.progress.bestScore ?? report.progress.bestLoss ?? loss))
            }
        }
    }
}
