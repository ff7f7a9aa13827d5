import Foundation
import Testing
@testable import Recurrent

/// What an adversarial probe of word-level tokenization and the ptb / wikitext-2 sets found
/// reading the wrong file or ignoring a limit (docs/bad-inputs.md, WP1-WP5); each now does what it says.
@Suite struct WordLevelProbeTests {
    /// A small stand-in for PTB: `dir/ptb/ptb.{train,valid,test}.txt` of 300, 30 and 20 lines of 8 words.
    static func ptbFolder(in dir: String, files: [String] = ["train", "valid", "test"]) throws {
        let folder = "\(dir)/ptb"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: WordLanguageModelCLITests.corpus(dir), encoding: .utf8)
        for (name, lines) in [("train", 300), ("valid", 30), ("test", 20)] where files.contains(name) {
            try (text.split(separator: "\n").prefix(lines).joined(separator: "\n") + "\n")
                .write(toFile: "\(folder)/ptb.\(name).txt", atomically: true, encoding: .utf8)
        }
    }

    /// `rnn ARGS` run in the folder `dir` (a data set's name is then also a path there).
    static func rnn(in dir: String, _ args: [String], environment: [String: String]) throws -> CLITests.Result {
        try CLITests.rnn(["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", dir, CLITests.binary] + args, environment: environment,
                         launcher: "/bin/sh")
    }

    @Test func aSetsFolderInTheWorkingDirectoryIsThatSetAndAFileOfItsNameIsNot() throws {
        let dir = CLITests.tempDir(), empty = CLITests.tempDir()
        try Self.ptbFolder(in: dir)
        let env = ["RNN_DATA_DIR": empty, "XDG_CACHE_HOME": empty]
        // WP1: ./ptb/ holds the set: its train and validation files, not "ptb: is a directory".
        let folder = try Self.rnn(in: dir, ["train", "lm", "--data", "ptb", "--hidden", "8", "--steps", "1", "--out", "p.safetensors"], environment: env)
        #expect(folder.status == 0 && folder.stdout.contains("data: ptb/ptb.train.txt: 2700 training and 270 validation words"),
                "\(folder.stdout)\(folder.stderr)")
        let valid = try Self.rnn(in: dir, ["evaluate", "--model", "p.safetensors", "--data", "ptb", "--split", "valid", "--seq", "8", "--batch", "2"],
                                 environment: env)
        #expect(valid.status == 0 && valid.stdout.contains("ptb/ptb.valid.txt"), "\(valid.stdout)\(valid.stderr)")
        // WP2: a file called ptb is that file, validated on its own last 10%, never on itself or on the set's files.
        let other = CLITests.tempDir()
        try FileManager.default.copyItem(atPath: "\(dir)/ptb/ptb.train.txt", toPath: "\(other)/ptb")
        let file = try Self.rnn(in: other, ["train", "lm", "--data", "ptb", "--hidden", "8", "--seq", "8", "--batch", "4", "--steps", "1",
                                            "--out", "f.safetensors"], environment: ["RNN_DATA_DIR": dir])
        #expect(file.status == 0 && file.stdout.contains("data: ptb: 2430 training and 270 validation words"), "\(file.stdout)\(file.stderr)")
        let split = try Self.rnn(in: other, ["evaluate", "--model", "f.safetensors", "--data", "ptb", "--split", "valid", "--seq", "8", "--batch", "2"],
                                 environment: ["RNN_DATA_DIR": dir])
        // the last 270 tokens in 2 streams of 135: 268 predicted (the whole file would be 2698)
        #expect(split.status == 0 && split.stdout.hasPrefix("ptb: ") && split.stdout.contains("over 268 words"), "\(split.stdout)\(split.stderr)")
        // A folder called ptb without the set's files (a run's own folder) leaves the set to RNN_DATA_DIR.
        let runs = CLITests.tempDir()
        try FileManager.default.createDirectory(atPath: "\(runs)/ptb", withIntermediateDirectories: true)
        let elsewhere = try Self.rnn(in: runs, ["train", "lm", "--data", "ptb", "--hidden", "8", "--steps", "1", "--out", "e.safetensors"],
                                     environment: ["RNN_DATA_DIR": dir])
        #expect(elsewhere.status == 0 && elsewhere.stdout.contains("\(dir)/ptb/ptb.train.txt: 2700 training and 270 validation words"),
                "\(elsewhere.stdout)\(elsewhere.stderr)")
    }

    @Test func nameSlashMainFileOfAWordLevelSetMeansWordsAndItsValidationFile() throws {
        let dir = CLITests.tempDir()
        try Self.ptbFolder(in: dir)
        // WP3: as --data ptb does.
        let r = try CLITests.rnn(["train", "lm", "--data", "ptb/ptb.train.txt", "--hidden", "8", "--steps", "1", "--out", "\(dir)/m.safetensors"],
                                 environment: ["RNN_DATA_DIR": dir])
        #expect(r.status == 0 && r.stdout.contains("ptb/ptb.train.txt: 2700 training and 270 validation words")
                && r.stdout.contains("batch 20 x 35"), "\(r.stdout)\(r.stderr)")
        // WP13: any path to the file in a folder called ptb is the set too (before: character level, its last 10% held out).
        for (n, data) in ["./ptb/ptb.train.txt", "\(dir)/ptb/../ptb/ptb.train.txt"].enumerated() {
            let other = try Self.rnn(in: dir, ["train", "lm", "--data", data, "--hidden", "8", "--steps", "1", "--out", "o\(n).safetensors"],
                                     environment: [:])
            #expect(other.status == 0 && other.stdout.contains("2700 training and 270 validation words")
                    && other.stdout.contains("batch 20 x 35"), "\(data): \(other.stdout)\(other.stderr)")
        }
        let test = try Self.rnn(in: dir, ["evaluate", "--model", "o0.safetensors", "--data", "./ptb/ptb.test.txt", "--split", "valid"], environment: [:])
        #expect(test.status == 64 && test.stderr.contains("is another of its files"), "\(test.stderr)")
    }

    @Test func aPartlyPresentSetSaysWhichFilesAreMissing() throws {
        let dir = CLITests.tempDir()
        try Self.ptbFolder(in: dir, files: ["train", "valid"])
        // WP4
        let r = try CLITests.rnn(["train", "lm", "--data", "ptb", "--steps", "1", "--out", "\(dir)/m.safetensors"],
                                 environment: ["RNN_DATA_DIR": dir, "XDG_CACHE_HOME": dir])
        #expect(r.status == 1 && r.stderr.contains("data set 'ptb' not found") && r.stderr.contains("\(dir)/ptb lacks ptb.test.txt"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/m.safetensors"))
    }

    @Test func aSplitOfAnotherFileOfTheSetAndAOneWordValidationFileAreRefused() throws {
        let dir = CLITests.tempDir()
        try Self.ptbFolder(in: dir)
        let env = ["RNN_DATA_DIR": dir]
        let train = try CLITests.rnn(["train", "lm", "--data", "ptb", "--hidden", "8", "--steps", "1", "--out", "\(dir)/m.safetensors"],
                                     environment: env)
        #expect(train.status == 0, "\(train.stderr)")
        // WP8: --split valid of the test file named its last 10%, not the validation file.
        let split = try CLITests.rnn(["evaluate", "--model", "\(dir)/m.safetensors", "--data", "ptb/ptb.test.txt", "--split", "valid"],
                                     environment: env)
        #expect(split.status == 64 && split.stdout.isEmpty
                && split.stderr.contains("--split valid picks a part of ptb's training file, and ptb/ptb.test.txt is another of its files")
                && split.stderr.contains("--data ptb/ptb.valid.txt without --split"), "\(split.stdout)\(split.stderr)")
        let test = try CLITests.rnn(["evaluate", "--model", "\(dir)/m.safetensors", "--data", "ptb/ptb.test.txt"], environment: env)
        #expect(test.status == 0 && test.stdout.contains("over 178 words"), "\(test.stdout)\(test.stderr)")
        // WP14: a model trained with its own --valid file held nothing out of --data: --split of --data is refused.
        try "w1 w2 w3\nw2 w1\n".write(toFile: "\(dir)/v.txt", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: "\(dir)/ptb/ptb.train.txt", toPath: "\(dir)/book.txt")
        let own = try CLITests.rnn(["train", "lm", "--data", "\(dir)/book.txt", "--valid", "\(dir)/v.txt", "--level", "word", "--hidden", "8",
                                    "--steps", "1", "--out", "\(dir)/own.safetensors"])
        #expect(own.status == 0, "\(own.stderr)")
        for part in ["valid", "train"] {
            let r = try CLITests.rnn(["evaluate", "--model", "\(dir)/own.safetensors", "--data", "\(dir)/book.txt", "--split", part])
            #expect(r.status == 64 && r.stderr.contains("was validated on its own file (--valid \(dir)/v.txt) and trained on all of its --data"),
                    "\(r.stderr)")
        }
        // WP9: a --valid file of one token (an empty line's <eos>) trained with no validation at all.
        for (file, text, says) in [("one.txt", "\n", "has 1 token, fewer than the 2 validation needs"), ("blank.txt", "  \t ", "has 1 token,"),
                                   ("empty.txt", "", "the file is empty")] {
            try text.write(toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8)
            let r = try CLITests.rnn(["train", "lm", "--data", "ptb", "--valid", "\(dir)/\(file)", "--hidden", "8", "--steps", "1",
                                      "--out", "\(dir)/v.safetensors"], environment: env)
            #expect(r.status == 1 && !FileManager.default.fileExists(atPath: "\(dir)/v.safetensors"), "\(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("\(dir)/\(file)") && r.stderr.contains(says), "\(r.stderr)")
        }
    }

    @Test func explainingAWordModelKeepsToMaxTokensOverBlankLines() throws {
        let dir = CLITests.tempDir()
        try Self.ptbFolder(in: dir)
        let train = try CLITests.rnn(["train", "lm", "--data", "\(dir)/ptb/ptb.train.txt", "--level", "word", "--hidden", "8", "--seq", "8",
                                      "--batch", "4", "--steps", "1", "--out", "\(dir)/m.safetensors"])
        #expect(train.status == 0, "\(train.stderr)")
        // WP5: every empty line is an <eos>, so it counts against --max-tokens.
        try (String(repeating: "\n", count: 20_000) + "w1 w2\n").write(toFile: "\(dir)/blank.txt", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["explain", "activations", "--model", "\(dir)/m.safetensors", "--text", "\(dir)/blank.txt",
                                  "--out", "\(dir)/a.html", "--max-tokens", "10"], timeout: 60)
        #expect(r.status == 0 && r.stdout.contains("using the first 10 of 20003 tokens") && r.stdout.contains(": 10 tokens"), "\(r.stdout)\(r.stderr)")
        // Words parted by U+001F (as the tokenizer parts them) count one by one too (before: one word, the whole line recorded).
        try (Array(repeating: "w1", count: 5000).joined(separator: "\u{1F}") + "\n").write(toFile: "\(dir)/unit.txt", atomically: true, encoding: .utf8)
        let u = try CLITests.rnn(["explain", "activations", "--model", "\(dir)/m.safetensors", "--text", "\(dir)/unit.txt",
                                  "--out", "\(dir)/u.html", "--max-tokens", "10"], timeout: 60)
        #expect(u.status == 0 && u.stdout.contains("using the first 10 of 5001 tokens") && u.stdout.contains(": 10 tokens"), "\(u.stdout)\(u.stderr)")
    }

    @Test func aWordLevelPrimeIsContinuedNotEnded() throws {
        let vocabulary = Vocabulary(tokens: [Vocabulary.unknown, Vocabulary.endOfSentence, "a", "b"])
        var rng = SeededRNG(seed: 1)
        let lm = LanguageModel(config: LanguageModelConfig(level: .word, cell: .lstm, vocabularySize: 4, embeddingSize: 4, hiddenSize: 4,
                                                           layers: 1, dropout: 0), vocabulary: vocabulary, rng: &rng)
        #expect(try lm.encode("a b") == [2, 3])
        #expect(try lm.encode("a\nb c") == [2, 1, 3, 0])
        #expect(try lm.encode("a b\n") == [2, 3, 1])
        #expect(try lm.encode("  ") == [])
    }
}
