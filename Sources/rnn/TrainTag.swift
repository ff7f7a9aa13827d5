import ArgumentParser
import Foundation
import Recurrent

/// `rnn train tag`: many-to-many aligned sequence tagging from CoNLL-U.
struct TrainTag: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Train a part-of-speech (or other per-word) tagger on CoNLL-U data.",
        discussion: """
        Without --valid, 10% of the sentences of --data (chosen by --seed) are held out for validation
        (--valid-split F to change the fraction, 0 for none).
        Example:
          rnn train tag --data ud-english-ewt/en_ewt-ud-train.conllu \\
              --valid ud-english-ewt/en_ewt-ud-dev.conllu --epochs 10 \\
              --out upos.safetensors
        """)

    @Option(help: "Training sentences in CoNLL-U (a path, NAME/FILE of a data set, or - for standard input).")
    var data: String
    @Option(help: "Validation sentences in CoNLL-U.")
    var valid: String?
    @Option(help: "Hold out this fraction of the sentences of --data for validation (chosen by --seed) instead of --valid (default: 0.1 without --valid; 0 for none).")
    var validSplit: Double?
    @Option(help: "The tag column: upos, xpos or deprel.")
    var column: CoNLLU.TagColumn = .upos
    @Flag(help: "Lowercase words for the word embedding (the character encoder still sees case).")
    var lowercase = false
    @Option(help: "Keep words seen at least this many times; the rest become <unk> (the character encoder still reads them).")
    var minCount = 1
    @Option(help: "Character-level BiLSTM hidden size per direction; 0 disables it.")
    var charHidden = 50
    @Option(help: "Character embedding size.")
    var charEmbedding = 30
    @Option(help: "Sentences per batch.")
    var batch = 32
    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingArguments
    @OptionGroup var parallel: DistributedOptions

    func validate() throws {
        try Check.count(batch, "--batch", in: 1...Int.max)
        try Check.count(minCount, "--min-count", in: 1...Int.max)
        try Check.count(charHidden, "--char-hidden", in: 0...Int.max)
        try Check.count(charEmbedding, "--char-embedding", in: 1...Int.max)
        if valid != nil && validSplit != nil { throw ValidationError("give --valid or --valid-split, not both") }
        if data == "-" && valid == "-" { throw ValidationError("--data - and --valid - cannot both read standard input; give one as a file") }
        if let f = validSplit { try Check.number(f, "--valid-split", in: 0...0.99, " (0: no validation)") }
    }

    func run() throws {
        try userFacing { try distributedRun(parallel.distributed) { try train(communicator: $0) } }
    }

    /// With `communicator`, one rank of data-parallel training: each takes a share of every batch by words.
    private func train(communicator: Communicator?) throws {
        let (path, all, validPath, validRead) = try collectively(communicator, "read the data") {
            let path = try StandardInput.resolve(data)
            let train = try CoNLLU.sentences(try StandardInput.text(path), path: path, column: column)
            guard !train.isEmpty else { throw DataError.empty(path: path + " (no sentences)") }
            let validPath = try valid.map { try StandardInput.resolve($0) }
            return (path, train, validPath, try validPath.map { try CoNLLU.sentences(try StandardInput.text($0), path: $0, column: column) })
        }
        // The tag set comes from all of --data, so a rare tag that lands only in the held-out part is still known.
        let tags = Array(Set(all.flatMap(\.tags))).sorted()
        var train = all, validSentences = validRead
        if validPath == nil, let f = validSplit ?? TrainClassify.defaultValidSplit, f > 0, train.count >= 2 {
            var order = Array(train.indices)
            var shuffler = SeededRNG(seed: training.seed)
            order.shuffle(using: &shuffler)
            let held = Set(order.prefix(max(1, Int((Double(train.count) * f).rounded()))))
            validSentences = train.indices.filter { held.contains($0) }.map { train[$0] }
            train = train.indices.filter { !held.contains($0) }.map { train[$0] }
            if validSplit == nil {
                print("validation: \(held.count) sentences (\(Int(f * 100))% of \(path), chosen by --seed) held out; --valid FILE or --valid-split 0 to change")
            }
        }
        guard tags.count >= 2 else { throw UserFacingError(description: "\(path): a tagger needs at least 2 tags, found \(tags)") }
        let words = Vocabulary(counting: train.flatMap(\.words).map { lowercase ? $0.lowercased() : $0 },
                               specials: [Vocabulary.padding, Vocabulary.unknown], minimumCount: minCount)
        let chars = Vocabulary(counting: train.flatMap(\.words).flatMap { $0.unicodeScalars.map { String($0) } },
                               specials: [Vocabulary.padding, Vocabulary.unknown])
        let config = SequenceTaggerConfig(
            cell: model.cell, lowercase: lowercase, wordVocabularySize: words.count, wordEmbeddingSize: model.embedding ?? 100,
            charVocabularySize: charHidden > 0 ? chars.count : 0, charEmbeddingSize: charEmbedding, charHiddenSize: charHidden,
            hiddenSize: model.hidden ?? 128, layers: model.layers ?? 2, dropout: model.dropout ?? 0, tags: tags, column: column)
        try Check.trainable(config.parameterCount)
        var rng = SeededRNG(seed: training.seed)
        let tagger = SequenceTagger(config: config, words: words, chars: chars, rng: &rng)
        let validPair = try validSentences.map { ($0.map(\.words), try tagger.encodeTags($0, path: validPath ?? path)) }
        let task = TaggingTask(model: tagger, train: (train.map(\.words), try tagger.encodeTags(train, path: path)),
                               valid: validPair, batch: batch)
        try trainTask(task, training: training, defaultSelect: .accuracy, selectable: [.loss, .accuracy],
                      inputs: ["--data": path, "--valid": validPath], describe: """
            data: \(path): \(train.count) training sentences (\(train.reduce(0) { $0 + $1.words.count }) words), \(validSentences?.count ?? 0) validation; \(tags.count) tags; \(words.count) words, \(chars.count) characters
            model: word embedding \(config.wordEmbeddingSize) + char BiLSTM \(charHidden) -> \(config.layers) x bidirectional \(config.cell) \(config.hiddenSize), dropout \(config.dropout), \(tagger.parameterCount) parameters
            """, communicator: communicator)
    }
}
