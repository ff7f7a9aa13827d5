import Foundation
import Testing
@testable import Recurrent

/// `rnn train classify` past words: the subword tokenizer (merges learned
/// from the training texts, kept in the checkpoint, used alike by predict and
/// evaluate), data-parallel training (`--distributed`), and `rnn predict`
/// reading a bare word that names a data set as a text.
@Suite(.serialized) struct ClassifyCLITests {
    /// Reviews whose words share stems (`love`, `loved`, `lovely`, ...), and validation texts of letters training never saw.
    static func reviews(_ dir: String) throws -> (train: String, valid: String) {
        let good = ["loved", "lovely", "loving", "wonderful", "wonderfully", "charming", "charmingly"]
        let bad = ["hated", "hateful", "hating", "dreadful", "dreadfully", "boring", "boringly"]
        var train = "text\tlabel\n"
        for i in 0..<60 {
            let words = i % 2 == 0 ? good : bad
            train += "the film was \(words[i % 7]) and \(words[(i / 2) % 7])\t\(i % 2 == 0 ? "pos" : "neg")\n"
        }
        // q, x and z occur in no training text: no merge may hold them.
        let valid = "text\tlabel\nquixotic zax lovely\tpos\nzzxq hateful\tneg\n"
        try train.write(toFile: dir + "/train.tsv", atomically: true, encoding: .utf8)
        try valid.write(toFile: dir + "/valid.tsv", atomically: true, encoding: .utf8)
        return (dir + "/train.tsv", dir + "/valid.tsv")
    }

    static let small = ["--hidden", "8", "--embedding", "8", "--batch", "8", "--steps", "6", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "0.3"]

    @Test func bpeLearnsItsMergesFromTheTrainingTextsAndPredictAndEvaluateCutTheSameWay() throws {
        let dir = CLITests.tempDir()
        let files = try Self.reviews(dir)
        let out = dir + "/bpe.safetensors"
        let r = try CLITests.rnn(["train", "classify", "--data", files.train, "--valid", files.valid, "--tokenizer", "bpe", "--merges", "40",
                                  "--out", out] + Self.small, timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(subword pieces of 40 byte-pair merges)"), "\(r.stdout)")
        let model = try SequenceClassifier(checkpoint: try Checkpoint.read(out))
        let subwords = try #require(model.config.subwords)
        #expect(model.config.tokenizer == .bpe && subwords.merges.count == 40)
        #expect(!subwords.merges.contains { ($0.left + $0.right).contains { "qxz".contains($0) } }, "merges from the training texts only")
        // Shared stems become shared pieces: "charmingly" is cut, and its pieces are in the vocabulary.
        let pieces = model.config.tokens("charmingly")
        #expect(pieces.count >= 1 && pieces.allSatisfy { model.vocabulary.id($0) != nil }, "\(pieces)")
        #expect(model.config.tokens("the film was lovely") == subwords.pieces(["the", "film", "was", "lovely"]))

        // predict and evaluate read the merges from the checkpoint.
        let predicted = try CLITests.rnn(["predict", "--model", out, "--json", "the film was lovely"], timeout: 60)
        #expect(predicted.status == 0 && predicted.stdout.contains("\"label\":"), "\(predicted.stdout)\(predicted.stderr)")
        let evaluated = try CLITests.rnn(["evaluate", "--model", out, "--data", files.train, "--json"], timeout: 60)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let accuracy = try #require(try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])["accuracy"] as? Double
        let examples = try ClassificationData.rows(text: String(contentsOfFile: files.train, encoding: .utf8), path: files.train, textColumn: nil,
                                                   labelColumn: nil, requireLabels: true, delimiter: nil, skipEmptyText: false).examples
        #expect(accuracy == model.evaluate(try model.encode(examples)).metrics.accuracy, "the CLI tokenizes as the library does")

        let wrong = try CLITests.rnn(["train", "classify", "--data", files.train, "--tokenizer", "word", "--merges", "40", "--steps", "1", "--out", dir + "/w.safetensors"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--merges is for --tokenizer bpe"), "\(wrong.stderr)")
    }

    @Test func theTokenizerChoiceTakesSubwordsForLongTextsOfSparseWords() {
        // Every word seen once: sparse. Short texts: characters; long ones (over 200 characters): subwords.
        func words(_ n: Int, from k: Int) -> String { (k..<(k + n)).map { "w\(String($0, radix: 26))q" }.joined(separator: " ") }
        let short = (0..<20).map { words(3, from: $0 * 3) }, long = (0..<20).map { words(60, from: $0 * 60) }
        let s = TextTokenizer.suggested(for: short), l = TextTokenizer.suggested(for: long)
        #expect(s.tokenizer == .char && s.singletonShare > 0.9 && s.meanCharacters < TextTokenizer.longTextCharacters, "\(s)")
        #expect(l.tokenizer == .bpe && l.singletonShare > 0.9 && l.meanCharacters > TextTokenizer.longTextCharacters, "\(l)")
        // Dense words stay words however long the texts.
        let dense = TextTokenizer.suggested(for: Array(repeating: String(repeating: "the cat sat on the mat ", count: 20), count: 10))
        #expect(dense.tokenizer == .word && dense.meanCharacters > TextTokenizer.longTextCharacters)
    }

    @Test func predictReadsABareDataSetNameAsAText() throws {
        let w = try CLIUsabilityTests.shared.get()
        #expect(DataCatalog.entry("names") != nil)
        let r = try CLITests.rnn(["predict", "--model", w.classifier, "names"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let columns = r.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(columns.count == 1 && columns[0].last == "names", "one prediction, of the text 'names': \(r.stdout)")
        // NAME/FILE still names a data set's file (here one that is not there).
        let file = try CLITests.rnn(["predict", "--model", w.classifier, "sst2/no-such-file.tsv"], timeout: 60)
        #expect(file.status == 1 && !file.stdout.contains("no-such-file"), "\(file.stdout)\(file.stderr)")
    }

    @Test func classifyDistributedOutsideAnMPILaunchIsAUsageError() throws {
        let dir = CLITests.tempDir()
        let files = try Self.reviews(dir)
        let r = try CLITests.rnn(["train", "classify", "--data", files.train, "--distributed", "--out", dir + "/m.safetensors"] + Self.small, timeout: 120)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(DistributedCLITests.mpiAvailable ? "needs an MPI launch" : "built without MPI"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
        // Numeric sequences train in one process.
        try ("@classLabel true up down\n@data\n" + (0..<8).map { i in (0..<6).map { String(i % 2 == 0 ? $0 : 6 - $0) }.joined(separator: ",") + (i % 2 == 0 ? ":up" : ":down") }
            .joined(separator: "\n") + "\n").write(toFile: "\(dir)/n.ts", atomically: true, encoding: .utf8)
        let numeric = try CLITests.rnn(["train", "classify", "--data", dir + "/n.ts", "--distributed", "--steps", "1", "--out", dir + "/n.safetensors"], timeout: 60)
        #expect(numeric.status == 64 && numeric.stderr.contains("--distributed trains text classifiers; \(dir)/n.ts holds numeric sequences"), "\(numeric.stderr)")
    }

    @Test(.enabled(if: DistributedCLITests.mpiAvailable, "needs Open MPI (mpirun) and rnn built with RNN_MPI=1"))
    func classifierSplitByTokensUnderMpirunMatchesOneProcess() throws {
        let dir = CLITests.tempDir()
        let files = try Self.reviews(dir)
        func arguments(_ out: String) -> [String] {
            ["train", "classify", "--data", files.train, "--valid", files.valid, "--tokenizer", "word", "--out", out] + Self.small
        }
        let r = try DistributedCLITests.expectTwoRanksMatchOneProcess(arguments, dir: dir)
        #expect(r.stdout.contains("rank 0 per step: ") && r.stdout.contains(" = forward+backward "), "\(r.stdout)")
        // A resume on another world size is refused by every rank; nothing hangs.
        let resumed = try CLITests.rnn(DistributedCLITests.launch + [CLITests.binary] + arguments(dir + "/single.safetensors") + ["--distributed", "--resume"],
                                       timeout: 120, launcher: DistributedCLITests.mpirun)
        #expect(resumed.status != 0 && !resumed.timedOut)
        #expect(resumed.stderr.components(separatedBy: "written by a run on 1 rank, this run has 2").count == 3, "\(resumed.stderr)")
    }
}
