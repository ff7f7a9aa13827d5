import Foundation
import Testing
@testable import Recurrent

/// `rnn train lm` at word level: the defaults by level, the regularisation and
/// output-layer options end to end, and their bad inputs (docs/bad-inputs.md, W1-W5).
@Suite struct WordLanguageModelCLITests {
    static func corpus(_ dir: String) throws -> String {
        var lines: [String] = []
        for i in 0..<300 {
            var words: [String] = []
            for j in 0..<8 { words.append("w\((i * 7 + j * j + i / 3) % 40)") }
            lines.append(words.joined(separator: " "))
        }
        let path = "\(dir)/words.txt"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func config(_ path: String) throws -> String { try Checkpoint.read(path).metadata["config"] ?? "" }

    @Test func wordLevelDefaultsRegulariseWhileCharacterDefaultsStayPlain() throws {
        let dir = CLITests.tempDir(), data = try Self.corpus(dir)
        let word = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--seq", "8", "--batch", "4",
                                     "--steps", "3", "--out", "\(dir)/w.safetensors"])
        #expect(word.status == 0, "\(word.stderr)")
        #expect(word.stdout.contains("regularisation: dropout in/between/out 0.2/0.2/0.2, tied output, full softmax"), "\(word.stdout)")
        #expect(word.stdout.contains("sgd lr 20.0, clip 0.25, schedule plateau:0.25:0"), "\(word.stdout)")
        let wc = try Self.config("\(dir)/w.safetensors")
        #expect(wc.contains("\"dropout\":0.2") && !wc.contains("lockedDropout") && wc.contains("\"tied\":true"), "\(wc)")
        let untied = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--seq", "8", "--batch", "4",
                                       "--steps", "1", "--no-tie", "--out", "\(dir)/u.safetensors"])
        #expect(untied.status == 0 && untied.stdout.contains("0.2/0.2/0.2, full softmax"), "\(untied.stdout)\(untied.stderr)")
        #expect(try !Self.config("\(dir)/u.safetensors").contains("tied"))  // as before tying was the default: such runs resume
        let char = try CLITests.rnn(["train", "lm", "--data", data, "--hidden", "16", "--seq", "8", "--batch", "4",
                                     "--steps", "3", "--out", "\(dir)/c.safetensors"])
        #expect(char.status == 0, "\(char.stderr)")
        #expect(char.stdout.contains("regularisation: dropout in/between/out 0.0/0.0/0.0, full softmax"), "\(char.stdout)")
        #expect(char.stdout.contains("adam lr 0.002, clip 5.0, schedule constant"), "\(char.stdout)")
        let cc = try Self.config("\(dir)/c.safetensors")
        for key in ["lockedDropout", "embeddingDropout", "tied", "adaptive", "weightDrop", "inputDropout"] { #expect(!cc.contains(key), "\(key) in \(cc)") }
        let help = try CLITests.rnn(["train", "lm", "--help"])
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // as wrapped for the terminal
        #expect(flat.contains("Word-level defaults (--level word)") && flat.contains("plain SGD at lr 20")
                && flat.contains("a full softmax tied to the embedding"), "\(help.stdout)")
    }

    @Test(arguments: [["--tie", "--embedding", "8", "--weight-drop", "0.3"], ["--adaptive", "10,25", "--adaptive-div", "2"]])
    func tiedAndAdaptiveModelsTrainEvaluateAndSample(options: [String]) throws {
        let dir = CLITests.tempDir(), data = try Self.corpus(dir)
        let train = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--seq", "8", "--batch", "4",
                                      "--steps", "20", "--lr", "0.01", "--out", "\(dir)/m.safetensors"] + options)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains(options[0] == "--tie" ? "tied output after a 16 -> 8 projection" : "adaptive softmax 10,25 (div 2.0)"), "\(train.stdout)")
        let evaluate = try CLITests.rnn(["evaluate", "--model", "\(dir)/m.safetensors", "--data", data, "--seq", "8"])
        #expect(evaluate.status == 0 && evaluate.stdout.contains("perplexity"), "\(evaluate.stdout) \(evaluate.stderr)")
        let sample = try CLITests.rnn(["sample", "--model", "\(dir)/m.safetensors", "--length", "5", "--seed", "3"])
        #expect(sample.status == 0 && sample.stdout.split(separator: " ").count >= 5, "\(sample.stdout) \(sample.stderr)")
    }

    @Test(arguments: [
        (["--adaptive", "25,10"], "--adaptive 25,10: the cutoffs must increase"),
        (["--adaptive", "ten"], "--adaptive ten: expected increasing positive cutoffs"),
        (["--tie", "--adaptive", "10"], "--tie needs the full softmax"),
        (["--adaptive", "10,5000"], "adaptive softmax cutoffs must increase strictly within 1..<42"),
        (["--weight-drop", "1"], "--weight-drop must lie in [0, 1), got 1.0"),
    ])
    func badRegularisationOptionsAreUsageErrors(options: [String], message: String) throws {
        let dir = CLITests.tempDir(), data = try Self.corpus(dir)
        let r = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--steps", "1", "--out", "\(dir)/m.safetensors"] + options)
        #expect(r.status == 64 && r.stderr.contains(message), "\(r.status) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/m.safetensors"))
    }

    /// `--data ptb` (and wikitext-2) means word level and the set's own validation file, and
    /// `evaluate --split valid` reads that file: a small stand-in for PTB in a data folder of its own.
    @Test func namedWordLevelSetsBringTheirLevelAndValidationFile() throws {
        let dir = CLITests.tempDir(), folder = "\(dir)/data/ptb"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.corpus(dir), encoding: .utf8)
        for (name, lines) in [("train", 300), ("valid", 30), ("test", 20)] {
            let part = text.split(separator: "\n").prefix(lines).map { " " + $0 + " " }.joined(separator: "\n") + "\n"
            try part.write(toFile: "\(folder)/ptb.\(name).txt", atomically: true, encoding: .utf8)
        }
        let env = ["RNN_DATA_DIR": "\(dir)/data"]
        let train = try CLITests.rnn(["train", "lm", "--data", "ptb", "--hidden", "8", "--steps", "2", "--out", "\(dir)/p.safetensors"],
                                     environment: env)
        #expect(train.status == 0, "\(train.stderr)")
        // 300 lines of 8 words and an <eos> each; the validation file's 30 lines likewise.
        #expect(train.stdout.contains("ptb/ptb.train.txt: 2700 training and 270 validation words"), "\(train.stdout)")
        #expect(train.stdout.contains("tied output, full softmax") && train.stdout.contains("batch 20 x 35"), "\(train.stdout)")
        let valid = try CLITests.rnn(["evaluate", "--model", "\(dir)/p.safetensors", "--data", "ptb", "--split", "valid", "--seq", "8", "--batch", "2"],
                                     environment: env)
        #expect(valid.status == 0 && valid.stdout.contains("ptb/ptb.valid.txt:"), "\(valid.stdout)\(valid.stderr)")
        let char = try CLITests.rnn(["train", "lm", "--data", "ptb", "--level", "char", "--hidden", "8", "--steps", "1", "--out", "\(dir)/c.safetensors"],
                                    environment: env)
        #expect(char.status == 0 && char.stdout.contains("validation characters, vocabulary"), "\(char.stdout)\(char.stderr)")
    }
}
