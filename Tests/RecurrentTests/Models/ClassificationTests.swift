import Foundation
import Testing
@testable import Recurrent

/// Readers, batching, metrics, and the classifier and tagger models.
@Suite struct ClassificationTests {
    static func write(_ text: String, _ name: String) -> String {
        let path = TrainerTests.tempDir() + "/" + name
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Readers

    @Test func csvHandlesQuotesCommasAndNewlines() throws {
        let rows = try DelimitedFile.rows("text,label\n\"a, b\",pos\n\"say \"\"hi\"\"\nthere\",neg\nplain,pos\n", separator: ",", path: "x.csv")
        #expect(rows.map(\.fields) == [["text", "label"], ["a, b", "pos"], ["say \"hi\"\nthere", "neg"], ["plain", "pos"]])
        #expect(rows.map(\.line) == [1, 2, 3, 5])
        #expect(throws: DataError.malformed(path: "x.csv", line: 2, expected: "a closing double quote", found: "the end of the file")) {
            try DelimitedFile.rows("a,b\n\"open,x\n", separator: ",", path: "x.csv")
        }
    }

    @Test func tsvWithHeaderFindsColumnsAndReportsBadRows() throws {
        let good = Self.write("sentence\tlabel\nit is good\t1\nbad film\t0\n", "ok.tsv")
        let examples = try ClassificationData.read(good)
        #expect(examples.map(\.text) == ["it is good", "bad film"] && examples.map(\.label) == ["1", "0"])
        #expect(examples.map(\.line) == [2, 3])
        let byNumber = try ClassificationData.read(Self.write("x\t1\ny\t0\n", "n.tsv"), textColumn: "1", labelColumn: "2")
        #expect(byNumber.count == 2)
        let missing = Self.write("sentence\tlabel\nfine\t1\nno label here\n", "m.tsv")
        #expect(throws: DataError.malformed(path: missing, line: 3, expected: "at least 2 columns", found: "1")) { try ClassificationData.read(missing) }
        let empty = Self.write("sentence\tlabel\n \t1\n", "e.tsv")
        #expect(throws: DataError.malformed(path: empty, line: 2, expected: "a non-empty text", found: "an empty field")) { try ClassificationData.read(empty) }
        let noLabel = Self.write("sentence\tscore\nfine\t1\n", "l.tsv")
        #expect(throws: DataError.self) { try ClassificationData.read(noLabel) }
        let headerOnly = Self.write("sentence\tlabel\n", "h.tsv")
        #expect(throws: DataError.self) { try ClassificationData.read(headerOnly) }
        let crlf = Self.write("\u{FEFF}sentence\tlabel\r\nwindows line\t1\r\n", "w.tsv")
        #expect(try ClassificationData.read(crlf).first?.label == "1")
    }

    @Test func folderPerClassUsesFileNamesAsLabels() throws {
        let dir = TrainerTests.tempDir()
        try "Schmidt\nMüller\n\n".write(toFile: dir + "/German.txt", atomically: true, encoding: .utf8)
        try "Rossi\n".write(toFile: dir + "/Italian.txt", atomically: true, encoding: .utf8)
        let examples = try ClassificationData.read(dir)
        #expect(examples.map(\.label) == ["German", "German", "Italian"] && examples[1].text == "Müller")
        let empty = TrainerTests.tempDir()
        #expect(throws: DataError.self) { try ClassificationData.read(empty) }
    }

    @Test func conlluSkipsCommentsMultiwordTokensAndEmptyNodes() throws {
        let text = """
        # sent_id = 1
        # text = Don't go.
        1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
        1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
        2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
        3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
        3.1\tgone\t_\t_\t_\t_\t_\t_\t_\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_

        """
        let s = try CoNLLU.sentences(text, path: "t.conllu")
        #expect(s.count == 2)
        #expect(s[0].words == ["Do", "n't", "go", "."] && s[0].tags == ["AUX", "PART", "VERB", "PUNCT"] && s[0].line == 4)
        #expect(try CoNLLU.sentences(text, path: "t.conllu", column: .xpos)[0].tags == ["VBP", "RB", "VB", "."])
        #expect(throws: DataError.malformed(path: "b.conllu", line: 2, expected: "10 tab-separated columns", found: "3")) {
            try CoNLLU.sentences("# c\n1\tword\tNOUN\n", path: "b.conllu")
        }
        #expect(throws: DataError.malformed(path: "b.conllu", line: 1, expected: "a word ID (1, 2-3 or 4.1)", found: "'one'")) {
            try CoNLLU.sentences("one\ta\t_\tX\t_\t_\t_\t_\t_\t_\n", path: "b.conllu")
        }
        #expect(throws: DataError.malformed(path: "b.conllu", line: 2, expected: "word ID 2", found: "3")) {
            try CoNLLU.sentences("1\ta\t_\tX\t_\t_\t_\t_\t_\t_\n3\tb\t_\tX\t_\t_\t_\t_\t_\t_\n", path: "b.conllu")
        }
    }

    @Test func wordTokenizerSplitsPunctuationButKeepsContractions() {
        #expect(TextTokenizer.word.tokens("Don't stop, well-known film!") == ["Don't", "stop", ",", "well-known", "film", "!"])
        #expect(TextTokenizer.whitespace.tokens("a  b\tc", lowercase: false) == ["a", "b", "c"])
        #expect(TextTokenizer.char.tokens("Ab", lowercase: true) == ["a", "b"])
    }

    @Test func lengthBatcherCoversEveryExampleOnceAndRepeats() {
        var rng = SeededRNG(seed: 3)
        let lengths = (0..<1000).map { _ in 1 + rng.nextInt(below: 40) }
        let batcher = LengthBatcher(lengths: lengths, batchSize: 32)
        let batches = batcher.batches(epoch: 2, seed: 7)
        #expect(batches.count == batcher.batchCount)
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<1000))
        #expect(batches == batcher.batches(epoch: 2, seed: 7) && batches != batcher.batches(epoch: 3, seed: 7))
        // Within a batch lengths are close: far less padding than random batches.
        let padding = batches.reduce(0) { sum, batch in
            let longest = batch.map { lengths[$0] }.max()!
            return sum + batch.reduce(0) { $0 + longest - lengths[$1] }
        }
        #expect(padding < 1000 * 3)
    }

    @Test func stratifiedSplitKeepsEachLabelsShare() {
        let examples = (0..<200).map { LabeledText(text: "x\($0)", label: $0 < 150 ? "a" : ($0 < 190 ? "b" : "c"), path: "p", line: $0) }
        let split = stratifiedSplit(examples, fraction: 0.1, seed: 1)
        let held = Dictionary(grouping: split.held, by: { $0.label! }).mapValues(\.count)
        #expect(held == ["a": 15, "b": 4, "c": 1])
        #expect(split.train.count + split.held.count == 200)
        #expect(split.held == stratifiedSplit(examples, fraction: 0.1, seed: 1).held)
        // A large fraction still leaves one of each label to train on (before: 0.75 of 2 held out both).
        let small = (0..<5).map { LabeledText(text: "y\($0)", label: $0 < 2 ? "a" : "b", path: "p", line: $0) }
        let most = stratifiedSplit(small, fraction: 0.99, seed: 1)
        #expect(Dictionary(grouping: most.train, by: { $0.label! }).mapValues(\.count) == ["a": 1, "b": 1])
        #expect(Dictionary(grouping: most.held, by: { $0.label! }).mapValues(\.count) == ["a": 1, "b": 2])
    }

    @Test func metricsComputeAccuracyMacroF1AndConfusion() {
        var m = ClassificationMetrics(labels: ["neg", "pos"])
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (1, 1), (1, 0)] { m.add(truth: t, predicted: p) }
        #expect(abs(m.accuracy - 5.0 / 7) < 1e-12)
        // F1(neg) = 2*2/(3+3) = 0.6667; F1(pos) = 2*3/(4+4) = 0.75.
        #expect(abs(m.macroF1 - (4.0 / 6 + 0.75) / 2) < 1e-12)
        #expect(m.confusion == [[2, 1], [1, 3]])
        #expect(m.table.contains("truth\\pred"))
    }

    @Test func pretrainedVectorsLoadAndMismatchesAreReported() throws {
        let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "good", "bad"])
        let glove = Self.write("good 0.1 0.2 0.3\nunseen 1 1 1\nbad -1 -2 -3\n", "g.txt")
        let loaded = try PretrainedEmbeddings.load(glove, vocabulary: vocabulary, dimension: 3, lowercase: false)
        #expect(loaded.found == [2, 3] && loaded.vectors.shape == [4, 3])
        #expect(Array(loaded.vectors.scalars[6..<12]) == [0.1, 0.2, 0.3, -1, -2, -3])
        var rng = SeededRNG(seed: 1)
        let embedding = Embedding(vocabularySize: 4, embeddingSize: 3, rng: &rng)
        let untouched = Array(embedding.weight.value.scalars[0..<6])
        embedding.copyRows(loaded.found, from: loaded.vectors)
        #expect(Array(embedding.weight.value.scalars[6..<12]) == [0.1, 0.2, 0.3, -1, -2, -3])
        #expect(Array(embedding.weight.value.scalars[0..<6]) == untouched, "rows not found keep their initial values")
        let w2v = Self.write("2 3\nGood 1 2 3\nbad 4 5 6\n", "w.txt")
        #expect(try PretrainedEmbeddings.load(w2v, vocabulary: vocabulary, dimension: 3, lowercase: true).found == [2, 3])
        let wrongDimension = Self.write("good 1 2\n", "d.txt")
        #expect(throws: DataError.malformed(path: wrongDimension, line: 1, expected: "a word and 3 numbers", found: "2 numbers")) {
            try PretrainedEmbeddings.load(wrongDimension, vocabulary: vocabulary, dimension: 3, lowercase: false)
        }
        let notNumber = Self.write("good 1 x 3\n", "n.txt")
        #expect(throws: DataError.malformed(path: notNumber, line: 1, expected: "a number", found: "'x'")) {
            try PretrainedEmbeddings.load(notNumber, vocabulary: vocabulary, dimension: 3, lowercase: false)
        }
    }

    // MARK: Models

    static func classifier(_ pooling: Pooling, bidirectional: Bool, dropout: Float = 0, seed: UInt64 = 1) -> SequenceClassifier {
        let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "good", "bad", "film", "plot", "not", "very"])
        let config = SequenceClassifierConfig(tokenizer: .whitespace, lowercase: true, cell: .lstm, vocabularySize: vocabulary.count,
                                              embeddingSize: 6, hiddenSize: 5, layers: 2, bidirectional: bidirectional, dropout: dropout,
                                              pooling: pooling, labels: ["neg", "pos"])
        var rng = SeededRNG(seed: seed)
        return SequenceClassifier(config: config, vocabulary: vocabulary, rng: &rng)
    }

    @Test("classifier gradients match finite differences through each pooling", arguments: Pooling.allCases, [false, true])
    func classifierGradients(pooling: Pooling, bidirectional: Bool) {
        let model = Self.classifier(pooling, bidirectional: bidirectional)
        let batch = [[2, 4, 7], [3, 5], [6, 2, 4, 4, 3]], targets = [1, 0, 1]
        func loss() -> Double { var rng = SeededRNG(seed: 1); return model.loss(batch, targets: targets, rng: &rng).loss }
        var rng = SeededRNG(seed: 1)
        model.zeroGradients()
        _ = model.loss(batch, targets: targets, training: true, rng: &rng)
        expectGradientsMatchFiniteDifferences(model.namedParameters, names: ["embedding.weight", "rnn.weight_hh_l0"], stride: 3,
                                              what: "\(pooling)", loss: loss)
    }

    @Test("the classifier learns negation from data", arguments: Pooling.allCases)
    func classifierLearnsToyTask(pooling: Pooling) throws {
        let texts = ["good film", "bad film", "not good film", "not bad film", "very good plot", "very bad plot", "good plot", "not very good film",
                     "bad plot", "not bad plot", "film very good", "film not good"]
        let labels = ["pos", "neg", "neg", "pos", "pos", "neg", "pos", "neg", "neg", "pos", "pos", "neg"]
        let model = Self.classifier(pooling, bidirectional: true)
        let examples = zip(texts, labels).enumerated().map { LabeledText(text: $1.0, label: $1.1, path: "toy", line: $0 + 1) }
        let data = try model.encode(examples)
        let task = ClassificationTask(model: model, train: data, valid: data, batch: 4)
        var o = TrainerTests.options(TrainerTests.tempDir(), steps: 300, validateEvery: 1000)
        o.optimizer.learningRate = 0.02
        try TrainerTests.quiet(Trainer(task: task, options: o)).run()
        #expect(model.evaluate(data).metrics.accuracy == 1, "\(pooling)")
        #expect(throws: LabelError.self) { try model.encode([LabeledText(text: "good", label: "meh", path: "dev.tsv", line: 7)]) }
    }

    @Test func bestCheckpointCanBeChosenByAccuracy() throws {
        let texts = ["good film", "bad film", "not good film", "not bad film", "very good plot", "very bad plot"]
        let labels = ["pos", "neg", "neg", "pos", "pos", "neg"]
        let model = Self.classifier(.max, bidirectional: false)
        let data = try model.encode(zip(texts, labels).enumerated().map { LabeledText(text: $1.0, label: $1.1, path: "toy", line: $0 + 1) })
        let dir = TrainerTests.tempDir()
        var o = TrainerTests.options(dir, steps: 60, validateEvery: 4)
        o.selectMetric = "accuracy"
        o.metricsPath = dir + "/metrics.jsonl"
        let report = try TrainerTests.quiet(Trainer(task: ClassificationTask(model: model, train: data, valid: data, batch: 2), options: o)).run()
        let accuracies = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.compactMap { $0["valid_accuracy"] as? Double }
        #expect(report.progress.bestScore == accuracies.max())
        let saved = try Checkpoint.read(dir + "/model.safetensors")
        #expect(saved.metadata["valid_accuracy"].flatMap(Double.init) == accuracies.max())
        // The first validation that reached the best accuracy is the one kept.
        let firstBest = accuracies.firstIndex(of: accuracies.max()!)!
        #expect(saved.metadata["step"] == String((firstBest + 1) * 4))
    }

    static func tagger(chars: Bool) -> SequenceTagger {
        let words = Vocabulary(tokens: ["<pad>", "<unk>", "the", "dog", "cat", "runs", "sleeps", "a"])
        let charVocabulary = Vocabulary(tokens: ["<pad>", "<unk>"] + "abcdefghijklmnopqrstuvwxyz".map(String.init))
        let config = SequenceTaggerConfig(cell: .lstm, lowercase: true, wordVocabularySize: words.count, wordEmbeddingSize: 5,
                                          charVocabularySize: chars ? charVocabulary.count : 0, charEmbeddingSize: 4,
                                          charHiddenSize: chars ? 3 : 0, hiddenSize: 6, layers: 1, dropout: 0, tags: ["DET", "NOUN", "VERB"])
        var rng = SeededRNG(seed: 2)
        return SequenceTagger(config: config, words: words, chars: charVocabulary, rng: &rng)
    }

    @Test("tagger gradients match finite differences, character encoder included", arguments: [false, true])
    func taggerGradients(chars: Bool) {
        let model = Self.tagger(chars: chars)
        let sentences = [["the", "dog", "runs"], ["a", "cat"], ["the", "unseen", "sleeps", "dog"]]
        let tags = [[0, 1, 2], [0, 1], [0, 1, 2, 1]]
        func loss() -> Double { var rng = SeededRNG(seed: 1); return model.loss(sentences, targets: tags, rng: &rng).loss }
        var rng = SeededRNG(seed: 1)
        model.zeroGradients()
        _ = model.loss(sentences, targets: tags, training: true, rng: &rng)
        expectGradientsMatchFiniteDifferences(
            model.namedParameters, names: ["word_embedding.weight", "char_embedding.weight", "char_rnn.weight_hh_l0_reverse", "rnn.weight_ih_l0"],
            stride: 5, loss: loss)
    }

    @Test func taggerCheckpointRoundTrips() throws {
        let model = Self.tagger(chars: true)
        let path = TrainerTests.tempDir() + "/tagger.safetensors"
        try Checkpoint.write(kind: SequenceTagger.kind, config: model.configJSON, vocabulary: model.checkpointVocabulary,
                             tensors: model.namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
        let loaded = try SequenceTagger(checkpoint: Checkpoint.read(path))
        let s = [["the", "cat", "sleeps"]]
        #expect(loaded.predict(s) == model.predict(s))
        #expect(loaded.config == model.config)
    }
}
