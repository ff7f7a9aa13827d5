import Foundation
import Testing
@testable import Recurrent

/// Cases an adversarial probe of the merged commands found trapping or overwriting a file; each now ends cleanly.
@Suite(.serialized) struct ProbeRegressionTests {
    static func classifier(_ dir: String) throws -> String {
        try ("text\tlabel\n" + (0..<16).map { "\($0 % 2 == 0 ? "good fine" : "bad awful") \($0)\t\($0 % 2 == 0 ? "pos" : "neg")" }
            .joined(separator: "\n") + "\n").write(toFile: "\(dir)/c.tsv", atomically: true, encoding: .utf8)
        let model = "\(dir)/c.safetensors"
        let r = try CLITests.rnn(["train", "classify", "--data", "\(dir)/c.tsv", "--tokenizer", "char", "--hidden", "4", "--embedding", "4",
                                  "--batch", "4", "--steps", "1", "--out", model])
        #expect(r.status == 0, "\(r.stderr)")
        return model
    }

    @Test func explainingAClassifierOnOneHugeLineCutsTheLine() throws {
        let dir = TrainerTests.tempDir()
        let model = try Self.classifier(dir)
        try (String(repeating: "x", count: 20_000) + "\n").write(toFile: "\(dir)/long.txt", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["explain", "activations", "--model", model, "--text", "\(dir)/long.txt", "--out", "\(dir)/e.html",
                                  "--max-tokens", "5000"], timeout: 60)
        #expect(r.status == 0 && r.stdout.contains("cut to their first 300 tokens"), "\(r.status) \(r.stderr)")
    }

    @Test func predictFromAStandardInputThatCannotBeReadIsAnError() throws {
        let dir = TrainerTests.tempDir()
        let model = try Self.classifier(dir)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = ["predict", "--model", model]
        p.standardInput = FileHandle(forReadingAtPath: dir)      // a folder: reading it fails
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 1, "\(p.terminationStatus): \(message)")
        #expect(message.contains("<stdin>: cannot read standard input"))
    }

    @Test func plottingAStepBeyondIntIsDrawn() throws {
        let dir = TrainerTests.tempDir()
        try "{\"step\":1,\"loss\":1}\n{\"step\":1e300,\"loss\":1}\n".write(toFile: "\(dir)/m.jsonl", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["plot", "\(dir)/m.jsonl", "--out", "\(dir)/p.html"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func evaluateNeverWritesItsTranslationsOverTheModel() throws {
        let dir = TrainerTests.tempDir()
        try "a b c\nb c d\nc d a\nd a b\n".write(toFile: "\(dir)/s.src", atomically: true, encoding: .utf8)
        try "c b a\nd c b\na d c\nb a d\n".write(toFile: "\(dir)/s.tgt", atomically: true, encoding: .utf8)
        let model = "\(dir)/t.safetensors"
        let train = try CLITests.rnn(["train", "translate", "--source", "\(dir)/s.src", "--target", "\(dir)/s.tgt", "--hidden", "4",
                                      "--embedding", "4", "--min-count", "1", "--batch", "2", "--steps", "1", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let r = try CLITests.rnn(["evaluate", "--model", model, "--source", "\(dir)/s.src", "--target", "\(dir)/s.tgt", "--output", model])
        #expect(r.status == 1 && r.stderr.contains("it is this command's --model"), "\(r.status) \(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
    }
}
