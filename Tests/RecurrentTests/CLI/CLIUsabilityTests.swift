import Foundation
import Testing
@testable import Recurrent

/// Issue 19's CLI and data-reading items, end to end through the built `rnn`:
/// standard input read like a file, JSON Lines, sniffed delimiters, empty
/// rows, default validation, the tokenizer chosen from the data, `predict`
/// for scripts, `evaluate --split`, `inspect --json`, `--threads`, and usage
/// errors that name the option and the subcommand.
@Suite(.serialized) struct CLIUsabilityTests {
    /// Small files and two tiny models (a classifier, a tagger) shared by the tests.
    struct Workspace {
        let dir: String
        var classifier: String { "\(dir)/cls.safetensors" }
        var tagger: String { "\(dir)/tag.safetensors" }
    }

    static let shared: Result<Workspace, Error> = Result { try makeWorkspace() }

    static func rows(_ n: Int) -> [(text: String, label: String)] {
        let good = ["good", "great", "fine", "nice", "lovely"], bad = ["bad", "awful", "poor", "sad", "ugly"]
        return (0..<n).map { i in
            let words = i % 2 == 0 ? good : bad
            return ("\(words[i % 5]) \(words[(i / 2) % 5])", i % 2 == 0 ? "pos" : "neg")
        }
    }

    static func makeWorkspace() throws -> Workspace {
        let dir = CLITests.tempDir()
        // A tab-separated file named .txt, with an id column first, as many public corpora ship.
        try ("id\ttext\tlabel\n" + rows(40).enumerated().map { "\($0)\t\($1.text)\t\($1.label)\n" }.joined())
            .write(toFile: "\(dir)/reviews.txt", atomically: true, encoding: .utf8)
        var conllu = ""
        for s in 0..<8 {
            conllu += "# sent_id = \(s)\n1\tDogs\tdog\tNOUN\t_\t_\t2\tnsubj\t_\t_\n2\tbark\tbark\tVERB\t_\t_\t0\troot\t_\t_\n3\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n"
        }
        try conllu.write(toFile: "\(dir)/t.conllu", atomically: true, encoding: .utf8)
        let w = Workspace(dir: dir)
        let c = try CLITests.rnn(["train", "classify", "--data", "\(dir)/reviews.txt", "--tokenizer", "word", "--hidden", "8", "--embedding", "8",
                                  "--steps", "20", "--lr", "0.02", "--out", w.classifier])
        guard c.status == 0 else { throw UserFacingFailure("classifier: \(c.stderr)") }
        let t = try CLITests.rnn(["train", "tag", "--data", "\(dir)/t.conllu", "--hidden", "8", "--embedding", "8", "--char-hidden", "4",
                                  "--char-embedding", "4", "--layers", "1", "--steps", "20", "--lr", "0.02", "--out", w.tagger])
        guard t.status == 0 else { throw UserFacingFailure("tagger: \(t.stderr)") }
        return w
    }

    struct UserFacingFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func expectUsage(_ r: CLITests.Result, _ phrase: String, command: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 64, "\(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(phrase), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("Usage: rnn \(command)"), "usage of the failing subcommand: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func standardInputWithWindowsLineEndingsReadsLikeTheSameFile() throws {
        let w = try Self.shared.get()
        let text = "good nice\r\nawful bad\r\n\r\nlovely\r\n"
        try text.replacingOccurrences(of: "\r\n", with: "\n").write(toFile: "\(w.dir)/lines.txt", atomically: true, encoding: .utf8)
        for model in [w.classifier, w.tagger] {
            let piped = try CLITests.rnn(["predict", "--model", model], input: Data(text.utf8))
            let file = try CLITests.rnn(["predict", "--model", model, "\(w.dir)/lines.txt"])
            #expect(piped.status == 0 && file.status == 0, "\(piped.stderr) \(file.stderr)")
            #expect(piped.stdout == file.stdout)
            #expect(!piped.stdout.contains("\r") && piped.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(piped.stdout.debugDescription)")
        }
        // translate reads standard input the same way.
        let pairs = "a b c\nb c d\nc d a\nd a b\n"
        try pairs.write(toFile: "\(w.dir)/p.src", atomically: true, encoding: .utf8)
        try pairs.write(toFile: "\(w.dir)/p.tgt", atomically: true, encoding: .utf8)
        let seq2seq = "\(w.dir)/tr.safetensors"
        let trained = try CLITests.rnn(["train", "translate", "--source", "\(w.dir)/p.src", "--target", "\(w.dir)/p.tgt", "--hidden", "4", "--embedding", "4",
                                        "--min-count", "1", "--batch", "2", "--steps", "2", "--out", seq2seq])
        #expect(trained.status == 0, "\(trained.stderr)")
        let piped = try CLITests.rnn(["translate", "--model", seq2seq, "--beam", "1"], input: Data(pairs.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let file = try CLITests.rnn(["translate", "--model", seq2seq, "--beam", "1", "--input", "\(w.dir)/p.src"])
        #expect(piped.status == 0 && piped.stdout == file.stdout && piped.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(piped.stdout.debugDescription) \(piped.stderr)")
        // Standard input is UTF-8 checked as a file is.
        let latin1 = try CLITests.rnn(["predict", "--model", w.classifier], input: Data("caf".utf8) + Data([0xE9, 0x0A]))
        #expect(latin1.status == 1 && latin1.stderr.contains("<stdin>:1: invalid UTF-8 at byte offset 3"), "\(latin1.stderr)")
    }

    @Test func jsonLinesAreReadByFieldNeverAsCSV() throws {
        let w = try Self.shared.get()
        let jsonl = Self.rows(30).map { #"{"review": "\#($0.text)", "sentiment": "\#($0.label)", "stars": 3}"# }.joined(separator: "\n") + "\n"
        try jsonl.write(toFile: "\(w.dir)/r.jsonl", atomically: true, encoding: .utf8)
        let out = "\(w.dir)/j.safetensors"
        let trained = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/r.jsonl", "--text-field", "review", "--label-field", "sentiment",
                                        "--hidden", "8", "--embedding", "8", "--steps", "2", "--out", out])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("2 labels"), "\(trained.stdout)")
        let evaluated = try CLITests.rnn(["evaluate", "--model", out, "--data", "\(w.dir)/r.jsonl", "--text-field", "review", "--label-field", "sentiment", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any]
        #expect(object?["examples"] as? Int == 30, "\(evaluated.stdout) \(evaluated.stderr)")
        // The default fields are text and label; a file without them is refused by name.
        let missing = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/r.jsonl", "--steps", "1", "--out", "\(w.dir)/k.safetensors"])
        #expect(missing.status == 1 && missing.stderr.contains("r.jsonl:1: expected a 'label' field (or --label-field), found fields review, sentiment, stars"), "\(missing.stderr)")
        let predicted = try CLITests.rnn(["predict", "--model", out, "--text-field", "review", "--json", "\(w.dir)/r.jsonl"])
        #expect(predicted.stdout.split(separator: "\n").count == 30, "\(predicted.stderr)")
    }

    @Test func delimiterIsSniffedFromTheHeaderWhateverTheExtension() throws {
        let w = try Self.shared.get()
        // The classifier was trained on a tab-separated .txt with an id column; evaluate it through ; and | files too.
        let rows = Self.rows(10)
        try ("text;label\n" + rows.map { "\($0.text);\($0.label)\n" }.joined()).write(toFile: "\(w.dir)/semi.csv", atomically: true, encoding: .utf8)
        try ("text|label\n" + rows.map { "\($0.text)|\($0.label)\n" }.joined()).write(toFile: "\(w.dir)/pipe.txt", atomically: true, encoding: .utf8)
        try ("text label\n" + rows.map { "\"\($0.text)\" \($0.label)\n" }.joined()).write(toFile: "\(w.dir)/space.txt", atomically: true, encoding: .utf8)
        for file in ["reviews.txt", "semi.csv", "pipe.txt"] {
            let r = try CLITests.rnn(["evaluate", "--model", w.classifier, "--data", "\(w.dir)/\(file)", "--json"])
            #expect(r.status == 0, "\(file): \(r.stderr)")
        }
        let spaced = try CLITests.rnn(["evaluate", "--model", w.classifier, "--data", "\(w.dir)/space.txt", "--delimiter", " ", "--json"])
        #expect(spaced.status == 0, "\(spaced.stderr)")
        #expect(DelimitedFile.sniffSeparator("id\tdocument\tlabel\n1\ta, b, c\tpos\n", path: "x.txt") == "\t")
        #expect(DelimitedFile.sniffSeparator("text,label\n", path: "x.tsv") == ",")
        #expect(DelimitedFile.sniffSeparator("a, b, c\tpos\n", path: "x.tsv") == "\t")
    }

    @Test func emptyTextRowsAreSkippedWithTheirLinesOrRefusedWithStrict() throws {
        let w = try Self.shared.get()
        try ("text\tlabel\ngood fine\tpos\n\tneg\nbad poor\tneg\n  \tpos\n").write(toFile: "\(w.dir)/gaps.tsv", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["evaluate", "--model", w.classifier, "--data", "\(w.dir)/gaps.tsv"])
        #expect(r.status == 0 && r.stdout.contains("over 2 examples"), "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("gaps.tsv: 2 row(s) with an empty text skipped (lines 3, 5); --strict refuses them"), "\(r.stderr)")
        let strict = try CLITests.rnn(["evaluate", "--model", w.classifier, "--data", "\(w.dir)/gaps.tsv", "--strict"])
        #expect(strict.status == 1 && strict.stderr.contains("gaps.tsv:3: expected a non-empty text, found an empty field"), "\(strict.stderr)")
        let train = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/gaps.tsv", "--valid-split", "0", "--hidden", "4", "--steps", "1",
                                      "--out", "\(w.dir)/g.safetensors"])
        #expect(train.status == 0 && train.stderr.contains("2 row(s) with an empty text skipped"), "\(train.stderr)")
        let predict = try CLITests.rnn(["predict", "--model", w.classifier, "--strict"], input: Data("good\n\nbad\n".utf8))
        #expect(predict.status == 1 && predict.stderr.contains("<stdin>:2: expected a non-empty line (--strict), found a blank line"), "\(predict.stderr)")
    }

    @Test func withoutValidDataTenPercentIsHeldOutAndSaid() throws {
        let w = try Self.shared.get()
        let c = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/reviews.txt", "--hidden", "4", "--steps", "1", "--out", "\(w.dir)/v.safetensors"])
        #expect(c.stdout.contains("validation: 4 examples (a stratified 10% of \(w.dir)/reviews.txt, chosen by --seed) held out"), "\(c.stdout)")
        #expect(c.stdout.contains("36 training and 4 validation examples"), "\(c.stdout)")
        let t = try CLITests.rnn(["train", "tag", "--data", "\(w.dir)/t.conllu", "--hidden", "4", "--char-hidden", "0", "--layers", "1", "--steps", "1",
                                  "--out", "\(w.dir)/vt.safetensors"])
        #expect(t.stdout.contains("validation: 1 sentences (10% of \(w.dir)/t.conllu"), "\(t.stdout) \(t.stderr)")
        let none = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/reviews.txt", "--valid-split", "0", "--hidden", "4", "--steps", "1",
                                     "--out", "\(w.dir)/v0.safetensors"])
        #expect(none.stdout.contains("40 training and 0 validation examples"), "\(none.stdout)")
    }

    @Test func theDefaultTokenizerIsChosenFromTheDataAndSaid() throws {
        let w = try Self.shared.get()
        // Names: nearly every word is seen once, so characters; repeated words: words.
        let names = ["Tanaka", "Suzuki", "Sato", "Watanabe", "Ito", "Smith", "Jones", "Brown", "Taylor", "Wilson"]
        try ("name,category\n" + names.enumerated().map { "\($1),\($0 < 5 ? "ja" : "en")\n" }.joined()).write(toFile: "\(w.dir)/names.csv", atomically: true, encoding: .utf8)
        let sparse = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/names.csv", "--hidden", "4", "--steps", "1", "--out", "\(w.dir)/n.safetensors"])
        #expect(sparse.stdout.contains("tokenizer: char (chosen from the data: 100.0% of the word tokens are of words seen once"), "\(sparse.stdout) \(sparse.stderr)")
        let dense = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/reviews.txt", "--hidden", "4", "--steps", "1", "--out", "\(w.dir)/d.safetensors"])
        #expect(dense.stdout.contains("tokenizer: word (chosen from the data: 0.0%"), "\(dense.stdout)")
        #expect(TextTokenizer.suggested(for: ["a b", "a b", "c"]).tokenizer == .char)
        #expect(TextTokenizer.suggested(for: Array(repeating: "the cat sat", count: 20) + ["dog"]).tokenizer == .word)
    }

    @Test func wordLevelSamplingSeparatesThePrimeFromTheFirstWord() throws {
        let w = try Self.shared.get()
        let lm = "\(w.dir)/words.safetensors"
        let text = String(repeating: "the game is on and the cat is out\n", count: 30)
        let r = try CLITests.rnn(["train", "lm", "--text", text, "--level", "word", "--hidden", "8", "--layers", "1", "--seq", "4", "--batch", "2",
                                  "--steps", "2", "--out", lm])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try CLITests.rnn(["sample", "--model", lm, "--prime", "the game", "--length", "3", "--argmax"])
        #expect(s.status == 0 && s.stdout.hasPrefix("the game "), "\(s.stdout.debugDescription) \(s.stderr)")
        let spaced = try CLITests.rnn(["sample", "--model", lm, "--prime", "the game ", "--length", "1", "--argmax"])
        #expect(spaced.stdout.hasPrefix("the game ") && !spaced.stdout.hasPrefix("the game  "), "\(spaced.stdout.debugDescription)")
    }

    @Test func evaluateScoresOnlyTheValidationSplitTrainingHeldOut() throws {
        let w = try Self.shared.get()
        let corpus = "\(w.dir)/corpus.txt"
        let text = String(repeating: "to be or not to be, that is the question.\n", count: 60)
        try text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let lm = "\(w.dir)/chars.safetensors"
        let t = try CLITests.rnn(["train", "lm", "--data", corpus, "--hidden", "8", "--layers", "1", "--seq", "8", "--batch", "2", "--steps", "2", "--out", lm])
        #expect(t.status == 0, "\(t.stderr)")
        func tokens(_ split: String) throws -> Int {
            let r = try CLITests.rnn(["evaluate", "--model", lm, "--data", corpus, "--split", split, "--seq", "8", "--batch", "1", "--json"])
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return o?["tokens"] as? Int ?? -1
        }
        // Training took the first 90% of the characters and validated on the rest; each part is scored in whole windows of 8.
        let n = text.unicodeScalars.count, cut = n * 9 / 10
        let all = try tokens("all"), valid = try tokens("valid"), train = try tokens("train")
        #expect(all <= n && all > n - 9, "\(all) of \(n)")
        #expect(valid <= n - cut && valid > n - cut - 9, "\(valid) of \(n - cut)")
        #expect(train <= cut && train > cut - 9, "\(train) of \(cut)")
        // A classifier: --split valid is the stratified 10% `train classify` held out by default.
        let c = try CLITests.rnn(["evaluate", "--model", w.classifier, "--data", "\(w.dir)/reviews.txt", "--split", "valid", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])?["examples"] as? Int == 4, "\(c.stdout) \(c.stderr)")
    }

    @Test func predictForScriptsJSONArgumentsDataSetsAndFixedColumns() throws {
        let w = try Self.shared.get()
        let input = Data("good nice\n\nawful bad\n".utf8)
        let json = try CLITests.rnn(["predict", "--model", w.classifier, "--json", "--top", "2"], input: input)
        let objects = json.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 3, "\(json.stdout)")
        #expect(objects.map { $0?["line"] as? Int } == [1, 2, 3])
        // A tab-separated .txt with a header is a table: its text column is read and its rows keep their file lines.
        let rows = try CLITests.rnn(["predict", "--model", w.classifier, "--json", "\(w.dir)/reviews.txt"])
        #expect(rows.stdout.split(separator: "\n").prefix(2).compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["line"] as? Int } == [2, 3],
                "\(rows.stdout.prefix(300)) \(rows.stderr)")
        #expect(objects[1]?["text"] as? String == "" && objects[1]?["label"] is NSNull && (objects[1]?["top"] as? [Any])?.isEmpty == true)
        #expect((objects[0]?["top"] as? [Any])?.count == 2 && objects[2]?["text"] as? String == "awful bad")
        // Every line has 2 x K + 1 columns, the blank one too, whatever --top asks beyond the labels.
        let tsv = try CLITests.rnn(["predict", "--model", w.classifier, "--top", "5"], input: input)
        #expect(tsv.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.split(separator: "\t", omittingEmptySubsequences: false).count } == [5, 5, 5],
                "\(tsv.stdout.debugDescription)")
        #expect(tsv.stderr.contains("--top 5: the model has 2 labels; printing 2"))
        // A text as the argument.
        let argument = try CLITests.rnn(["predict", "--model", w.classifier, "lovely great"])
        #expect(argument.status == 0 && argument.stdout.hasSuffix("\tlovely great\n"), "\(argument.stdout) \(argument.stderr)")
        let typo = try CLITests.rnn(["predict", "--model", w.classifier, "\(w.dir)/no-such.txt"])
        #expect(typo.status == 1 && typo.stderr.contains("no-such.txt: no such file"))
        // A data set name, resolved as train and evaluate resolve it: its text column is read, not whole lines.
        let data = "\(w.dir)/data"
        try FileManager.default.createDirectory(atPath: "\(data)/sst2", withIntermediateDirectories: true)
        for f in ["train.tsv", "dev.tsv", "test.tsv"] { try "sentence\tlabel\ngood fine\t1\nbad poor\t0\n".write(toFile: "\(data)/sst2/\(f)", atomically: true, encoding: .utf8) }
        let named = try CLITests.rnn(["predict", "--model", w.classifier, "sst2/dev.tsv"], environment: ["RNN_DATA_DIR": data])
        #expect(named.status == 0 && named.stdout.contains("\tgood fine\n") && !named.stdout.contains("sentence"),
                "\(named.stdout) \(named.stderr)")
    }

    @Test func taggerSplitsPunctuationReadsAndWritesCoNLLUAndRefusesTop() throws {
        let w = try Self.shared.get()
        let plain = try CLITests.rnn(["predict", "--model", w.tagger], input: Data("Dogs bark.\n".utf8))
        let pairs = plain.stdout.split(separator: " ").map { $0.split(separator: "/").first.map(String.init) ?? "" }
        #expect(pairs == ["Dogs", "bark", "."], "\(plain.stdout) \(plain.stderr)")
        let conllu = try CLITests.rnn(["predict", "--model", w.tagger, "\(w.dir)/t.conllu"])
        let original = try String(contentsOfFile: "\(w.dir)/t.conllu", encoding: .utf8)
        #expect(conllu.status == 0 && conllu.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == original.split(separator: "\n", omittingEmptySubsequences: false).count,
                "\(conllu.stderr)")
        let reread = try CoNLLU.sentences(conllu.stdout, path: "out")
        #expect(reread.map(\.words) == (try CoNLLU.sentences(original, path: "in")).map(\.words))
        #expect(conllu.stdout.contains("# sent_id = 0"))
        // Plain text written as CoNLL-U: the punctuation is a word of its own.
        let written = try CLITests.rnn(["predict", "--model", w.tagger, "--conllu"], input: Data("Dogs bark.\n\nDogs bark\n".utf8))
        let sentences = try CoNLLU.sentences(written.stdout, path: "written")
        #expect(sentences.map(\.words) == [["Dogs", "bark", "."], ["Dogs", "bark"]] && sentences.allSatisfy { $0.tags.allSatisfy { ["NOUN", "VERB", "PUNCT"].contains($0) } },
                "\(written.stdout) \(written.stderr)")
        Self.expectUsage(try CLITests.rnn(["predict", "--model", w.tagger, "--top", "2"], input: Data("Dogs bark\n".utf8)),
                         "--top 2: a tagger gives one tag per word", command: "predict")
        Self.expectUsage(try CLITests.rnn(["evaluate", "--model", w.tagger, "--data", "\(w.dir)/t.conllu", "--split", "valid"]),
                         "--split is for language models, classifiers and generators", command: "evaluate")
    }

    @Test func inspectPrintsJSONAndListsAPlainSafetensorsFile() throws {
        let w = try Self.shared.get()
        let r = try CLITests.rnn(["inspect", "--model", w.classifier, "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(o?["kind"] as? String == "sequence_classifier", "\(r.stdout)")
        #expect((o?["metadata"] as? [String: Any])?["config"] is [String: Any])
        #expect(((o?["tensors"] as? [[String: Any]])?.contains { $0["name"] as? String == "embedding.weight" }) == true)
        let plain = "\(w.dir)/plain.safetensors"
        try SafeTensorsFile.write([("fc.weight", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), ("fc.bias", Tensor(shape: [2], scalars: [0, 0]))], to: plain)
        let listed = try CLITests.rnn(["inspect", "--model", plain])
        #expect(listed.status == 0 && listed.stdout.contains("  fc.weight F32 [2, 3]") && listed.stdout.contains("8 values in 2 tensors"), "\(listed.stdout) \(listed.stderr)")
        let listedJSON = try CLITests.rnn(["inspect", "--model", plain, "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listedJSON.stdout.utf8)) as? [String: Any])?["kind"] is NSNull)
    }

    @Test func trainingReadsStandardInput() throws {
        let w = try Self.shared.get()
        let tsv = "text\tlabel\n" + Self.rows(20).map { "\($0.text)\t\($0.label)\n" }.joined()
        let c = try CLITests.rnn(["train", "classify", "--data", "-", "--hidden", "4", "--steps", "1", "--out", "\(w.dir)/stdin.safetensors"], input: Data(tsv.utf8))
        #expect(c.status == 0 && c.stdout.contains("data: <stdin>: 18 training and 2 validation examples"), "\(c.stdout) \(c.stderr)")
        let text = String(repeating: "abcdefgh\r\n", count: 40)
        let lm = try CLITests.rnn(["train", "lm", "--data", "-", "--hidden", "4", "--layers", "1", "--seq", "4", "--batch", "2", "--steps", "1",
                                   "--out", "\(w.dir)/stdin-lm.safetensors"], input: Data(text.utf8))
        // Windows line endings from standard input become \n, as in a file: 9 distinct characters.
        #expect(lm.status == 0 && lm.stdout.contains("vocabulary 9"), "\(lm.stdout) \(lm.stderr)")
    }

    @Test func threadsIsAnOptionOfEveryCommandThatComputes() throws {
        let w = try Self.shared.get()
        #expect(try CLITests.rnn(["info", "--threads", "3"]).stdout.contains("threads: 3"))
        for args in [["predict", "--model", w.classifier, "good"], ["evaluate", "--model", w.classifier, "--data", "\(w.dir)/reviews.txt"],
                     ["sample", "--model", w.classifier], ["translate", "--model", w.classifier], ["forecast", "--model", w.classifier, "--data", "x"],
                     ["train", "lm", "--text", "abc", "--steps", "1", "--out", "\(w.dir)/x.safetensors"]] {
            let r = try CLITests.rnn(args + ["--threads", "0"])
            #expect(r.status == 64 && r.stderr.contains("--threads must be at least 1"), "\(args): \(r.stderr)")
        }
        let one = try CLITests.rnn(["train", "classify", "--data", "\(w.dir)/reviews.txt", "--hidden", "4", "--steps", "1", "--threads", "1",
                                    "--out", "\(w.dir)/t1.safetensors"])
        #expect(one.stdout.contains(", 1 threads"), "\(one.stdout)")
    }

    /// Each numeric option at a value it cannot take: a usage error (exit 64) naming the option, with the subcommand's usage.
    @Test(arguments: [
        (["evaluate", "--model", "m", "--data", "d", "--seq", "0"], "--seq must be at least 1", "evaluate"),
        (["evaluate", "--model", "m", "--data", "d", "--batch", "0"], "--batch must be at least 1", "evaluate"),
        (["evaluate", "--model", "m", "--data", "d", "--held-out", "nan"], "--held-out must lie between 0 and 1", "evaluate"),
        (["evaluate", "--model", "m", "--data", "d", "--temperature=-1"], "--temperature must be positive", "evaluate"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--seq", "0", "--out", "o"], "--seq must be at least 1, got 0", "train lm"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--batch=-3", "--out", "o"], "--batch must be at least 1, got -3", "train lm"),
        (["train", "lm", "--text", "abc", "--minutes", "nan", "--out", "o"], "--minutes must be positive", "train lm"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--clip", "inf", "--out", "o"], "--clip must be at least 0.0 and finite", "train lm"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--hidden", "0", "--out", "o"], "--hidden must be at least 1", "train lm"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--schedule", "step:0:0.5", "--out", "o"], "step interval must be at least 1 epoch", "train lm"),
        (["train", "tag", "--data", "d", "--steps", "1", "--char-hidden=-1", "--out", "o"], "--char-hidden must be at least 0, got -1", "train tag"),
        (["train", "tag", "--data", "d", "--steps", "1", "--char-embedding", "0", "--out", "o"], "--char-embedding must be at least 1, got 0", "train tag"),
        (["train", "classify", "--data", "d", "--steps", "1", "--valid-split", "1", "--out", "o"], "--valid-split must be at least 0.0 and at most 0.99", "train classify"),
        (["train", "classify", "--data", "d", "--steps", "1", "--select", "speed", "--out", "o"], "The value 'speed' is invalid for '--select <select>'", "train classify"),
        (["predict", "--model", "m", "--top", "0"], "--top must be at least 1, got 0", "predict"),
        (["sample", "--model", "m", "--length=-1"], "--length must be at least 0, got -1", "sample"),
        (["sample", "--model", "m", "--top-k", "0"], "--top-k must be at least 1", "sample"),
        (["sample", "--model", "m", "--beam", "2", "--count", "5000"], "--count with --beam lists the beam's best hypotheses: at most 1000, got 5000", "sample"),
        (["sample", "--model", "m", "--argmax", "--top-k", "3"], "--argmax takes the most likely token; it does not combine with --top-k", "sample"),
        (["train", "lm", "--text", "abc", "--steps", "1", "--min-count", "2", "--out", "o"], "--min-count makes rare words <unk> at word level", "train lm"),
        (["translate", "--model", "m", "--max-ratio", "nan"], "--max-ratio must be positive", "translate"),
        (["bench", "--seconds", "1e300"], "--seconds must be positive and at most 3600.0", "bench"),
        (["info", "--threads", "100000"], "--threads must be at least 1 and at most 1024", "info"),
        (["train", "tag", "--data", "-", "--valid", "-", "--steps", "1", "--out", "o"], "--data - and --valid - cannot both read standard input", "train tag"),
    ])
    func numericOptionsOutOfRangeAreUsageErrors(args: [String], phrase: String, command: String) throws {
        Self.expectUsage(try CLITests.rnn(args), phrase, command: command)
    }

    @Test func theDemoNeverReplacesAnotherRunsCheckpoint() throws {
        let dir = CLITests.tempDir()
        let train = try CLITests.rnn(["train", "lm", "--text", String(repeating: "ab", count: 200), "--steps", "2", "--seq", "4", "--batch", "2",
                                      "--hidden", "4", "--out", "\(dir)/run.safetensors"])
        #expect(train.status == 0, "\(train.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run.safetensors"))
        // Before: the demo passed --force to training and replaced the model and its resume file.
        let r = try CLITests.rnn(["demo", "--minutes", "0.01", "--out", "\(dir)/run.safetensors"], environment: ["RNN_DATA_DIR": dir])
        #expect(r.status == 64 && r.stderr.contains("run.safetensors holds a model that `rnn demo` did not make (rnn train lm --text")
                && r.stderr.contains("give the demo another --out, or delete the file"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run.safetensors")) == before)
    }

    @Test func usageErrorsFoundWhileRunningShowTheFailingSubcommandsUsage() throws {
        let w = try Self.shared.get()
        Self.expectUsage(try CLITests.rnn(["evaluate", "--model", w.classifier]), "give --data FILE", command: "evaluate")
        // The model's size is known only once the vocabulary is read.
        Self.expectUsage(try CLITests.rnn(["train", "lm", "--text", String(repeating: "ab", count: 200), "--hidden", "100000", "--layers", "1000",
                                           "--steps", "1", "--seq", "4", "--batch", "2", "--out", "\(w.dir)/c.safetensors"]),
                         "describe a model of", command: "train lm")
        Self.expectUsage(try CLITests.rnn(["train", "lm", "--text", "ab", "--schedule", "cosine:1", "--minutes", "1", "--out", "\(w.dir)/c.safetensors"]),
                         "--schedule cosine needs --steps or --epochs", command: "train lm")
        Self.expectUsage(try CLITests.rnn(["evaluate", "--model", w.tagger, "--data", w.tagger, "--held-out", "0.2"]),
                         "--held-out is the fraction a classifier or generator held out", command: "evaluate")
        // predict's options for one kind of model, given to another (before: ignored without a word).
        Self.expectUsage(try CLITests.rnn(["predict", "--model", w.classifier, "--conllu", "a fine day"]), "--conllu writes a tagger's output", command: "predict")
        Self.expectUsage(try CLITests.rnn(["predict", "--model", w.tagger, "--numeric", "Dogs bark"]), "--id-column and --numeric read numeric sequences",
                         command: "predict")
        // A figure the task's validation does not measure (before: the first validation's model was kept all run).
        Self.expectUsage(try CLITests.rnn(["train", "lm", "--text", String(repeating: "ab", count: 200), "--select", "accuracy", "--steps", "1",
                                           "--seq", "4", "--batch", "2", "--out", "\(w.dir)/s.safetensors"]),
                         "--select accuracy is not measured by this task's validation; choose from: loss", command: "train lm")
        #expect(!FileManager.default.fileExists(atPath: "\(w.dir)/s.safetensors"))
    }

    /// The help says what the code does: the embedding defaults, what --out keeps, what evaluate measures.
    @Test func helpSaysWhatTheCodeDoes() throws {
        let lm = try CLITests.rnn(["train", "lm", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(lm.contains("min(64, hidden) for characters") && lm.contains("classify and tag: by validation accuracy"), "\(lm)")
        let evaluate = try CLITests.rnn(["evaluate", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(evaluate.contains("classifiers, taggers") && evaluate.contains("--split valid"), "\(evaluate)")
    }

    /// Help examples are short enough that an 80-column help screen never wraps one mid-command.
    @Test func helpExamplesFitEightyColumns() throws {
        let r = try CLITests.rnn(["--experimental-dump-help"])
        let root = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        var long: [String] = []
        var commands = 0
        func walk(_ command: [String: Any]) {
            commands += 1
            // Example lines and their continuations are indented; prose is not (the help screen flows it).
            for line in (command["discussion"] as? String ?? "").split(separator: "\n") where line.hasPrefix("  ") && line.count > 80 {
                long.append(String(line))
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub) }
        }
        walk(root?["command"] as? [String: Any] ?? [:])
        #expect(commands > 20, "\(r.stdout.prefix(300))")
        #expect(long.isEmpty, "\(long.joined(separator: "\n"))")
    }
}
