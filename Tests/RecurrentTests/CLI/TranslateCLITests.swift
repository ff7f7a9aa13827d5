import Foundation
import Testing
@testable import Recurrent

/// `rnn train translate`, `rnn translate` and `rnn evaluate --source/--target`, end to end.
@Suite(.serialized) struct TranslateCLITests {
    /// Reversal pairs: `n` lines of 2-5 letters and the same letters reversed.
    static func writePairs(_ dir: String, _ name: String, n: Int, seed: UInt64) throws {
        let lines = Seq2SeqTests.sequences(n, lengths: 2...5, seed: seed)
        try (lines.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n").write(toFile: "\(dir)/\(name).src", atomically: true, encoding: .utf8)
        try (lines.map { $0.reversed().joined(separator: " ") }.joined(separator: "\n") + "\n").write(toFile: "\(dir)/\(name).tgt", atomically: true, encoding: .utf8)
    }

    /// An untrained model's checkpoint, written by the library (fast; for the refusal tests).
    static func untrainedModel(_ path: String) throws {
        let m = Seq2SeqTests.model(hidden: 6)
        try Checkpoint.write(kind: Seq2Seq.kind, config: m.configJSON, vocabulary: m.checkpointVocabulary,
                             tensors: m.namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
    }

    @Test("train translate, translate (n-best too), evaluate, and an attention heatmap page")
    func endToEnd() throws {
        let dir = CLITests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writePairs(dir, "train", n: 300, seed: 21)
        try Self.writePairs(dir, "val", n: 20, seed: 22)
        let model = "\(dir)/rev.safetensors"
        let train = try CLITests.rnn(["train", "translate", "--source", "\(dir)/train.src", "--target", "\(dir)/train.tgt",
                                      "--valid-source", "\(dir)/val.src", "--valid-target", "\(dir)/val.tgt", "--min-count", "1",
                                      "--cell", "gru", "--hidden", "16", "--embedding", "8", "--batch", "32", "--steps", "40",
                                      "--lr", "0.01", "--validate-every", "20", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("300 training pairs, 20 validation") && train.stdout.contains("bleu"), "\(train.stdout)")
        #expect(train.stdout.contains("best bleu"))

        let translated = try CLITests.rnn(["translate", "--model", model, "--input", "\(dir)/val.src", "--beam", "3"])
        #expect(translated.status == 0, "\(translated.stderr)")
        #expect(translated.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 21)   // 20 lines and the final newline

        let nBest = try CLITests.rnn(["translate", "--model", model, "--input", "\(dir)/val.src", "--beam", "3", "--n-best", "2"])
        #expect(nBest.status == 0)
        let rows = nBest.stdout.split(separator: "\n")
        #expect(rows.count == 40 && rows[0].hasPrefix("1 ||| ") && rows[1].hasPrefix("1 ||| ") && rows[39].hasPrefix("20 ||| "))

        let evaluated = try CLITests.rnn(["evaluate", "--model", model, "--source", "\(dir)/val.src", "--target", "\(dir)/val.tgt", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any]
        #expect((json?["bleu"] as? Double).map { $0 >= 0 && $0 <= 100 } == true && (json?["perplexity"] as? Double).map { $0 > 1 } == true,
                "\(evaluated.stdout)")

        let html = "\(dir)/attention.html"
        let drawn = try CLITests.rnn(["translate", "--model", model, "--input", "\(dir)/val.src", "--attention", html, "--sentence", "2", "--beam", "1"])
        #expect(drawn.status == 0 && drawn.stderr.contains("wrote the attention of line 2"), "\(drawn.stderr)")
        let sourceWords = try String(contentsOfFile: "\(dir)/val.src", encoding: .utf8).split(separator: "\n")[1].split(separator: " ").count
        let targetWords = TranslationText.words(String(drawn.stdout.split(separator: "\n", omittingEmptySubsequences: false)[1])).count
        let cells = (sourceWords + 1) * (targetWords + 1)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.components(separatedBy: "class=\"cell\"").count - 1 == cells)
    }

    @Test("the attention heatmap renders in headless chromium: every cell and label laid out, and something drawn",
          .enabled(if: Chromium.available, "needs Debian's chromium (.ci/run installs it)"))
    func attentionHeatmapRendersInChromium() throws {
        let dir = CLITests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writePairs(dir, "val", n: 3, seed: 22)
        let model = "\(dir)/m.safetensors", html = "\(dir)/attention.html"
        try Self.untrainedModel(model)
        let drawn = try CLITests.rnn(["translate", "--model", model, "--input", "\(dir)/val.src", "--attention", html, "--sentence", "2", "--beam", "1"])
        #expect(drawn.status == 0, "\(drawn.stderr)")
        // Chromium lays out every cell and label the written page declares.
        let written = try String(contentsOfFile: html, encoding: .utf8)
        func declared(_ name: String) -> Int { written.components(separatedBy: "class=\"\(name)\"").count - 1 }
        let page = try Chromium.render(html, dir: dir, width: 500, height: 500)
        #expect(declared("cell") > 4 && page.count("cell") == declared("cell"), "\(page.dom.prefix(300))")
        #expect(declared("column-label") > 1 && page.count("column-label") == declared("column-label"))
        #expect(declared("row-label") > 1 && page.count("row-label") == declared("row-label"))
        #expect(page.dom.contains("&lt;eos&gt;"))
        #expect(page.console.isEmpty, "\(page.console)")
        let ink = try Chromium.ink([page.screenshot], dir: dir)
        #expect(ink[0].fraction > 0.01 && ink[0].colours > 3, "\(ink)")
    }

    /// Each row: arguments, the exit status, and a phrase the output must contain.
    static func badInputs(_ dir: String) throws -> [([String], Int32, String)] {
        let fm = FileManager.default
        try Self.writePairs(dir, "p", n: 6, seed: 23)
        try "a b\nc d\nb c\n".write(toFile: "\(dir)/three.src", atomically: true, encoding: .utf8)
        try "b a\nd c\n".write(toFile: "\(dir)/two.tgt", atomically: true, encoding: .utf8)
        try "a b\n\nc d\nb c a b c d e\n".write(toFile: "\(dir)/gaps.src", atomically: true, encoding: .utf8)
        try "b a\nx\nd c\ne d c b a c b\n".write(toFile: "\(dir)/gaps.tgt", atomically: true, encoding: .utf8)
        try "a b zzz\nqqq\n".write(toFile: "\(dir)/unknown.src", atomically: true, encoding: .utf8)
        fm.createFile(atPath: "\(dir)/empty.src", contents: Data())
        let model = "\(dir)/m.safetensors", lm = "\(dir)/lm.safetensors"
        try untrainedModel(model)
        let trained = try CLITests.rnn(["train", "lm", "--text", "hello", "--hidden", "8", "--layers", "1", "--seq", "2", "--batch", "1",
                                        "--steps", "1", "--out", lm])
        #expect(trained.status == 0)
        let train = ["train", "translate", "--min-count", "1", "--hidden", "8", "--steps", "1", "--out", "\(dir)/out.safetensors"]
        return [
            (train + ["--source", "\(dir)/three.src", "--target", "\(dir)/two.tgt"], 1,
             "two.tgt:3: expected as many lines as \(dir)/three.src (3), found 2 lines"),
            (train + ["--source", "\(dir)/gaps.src", "--target", "\(dir)/gaps.tgt", "--max-words", "5"], 0,
             "skipped 1 empty line (line 2); truncated 1 sentence longer than 5 words (line 4)"),
            (train + ["--source", "\(dir)/empty.src", "--target", "\(dir)/two.tgt"], 1, "empty.src: the file is empty"),
            (train + ["--data", "multi30k", "--from", "de"], 64, "--data needs --from and --to"),
            (train + ["--source", "\(dir)/p.src"], 64, "give --data NAME --from L1 --to L2, or --source FILE --target FILE"),
            (train + ["--source", "\(dir)/p.src", "--target", "\(dir)/p.tgt", "--cell", "rnn"], 64, "--cell must be lstm or gru"),
            (train + ["--source", "\(dir)/p.src", "--target", "\(dir)/p.tgt", "--attention", "dot", "--hidden", "7"], 64,
             "dot attention needs a decoder hidden size of twice the encoder's"),
            (["translate", "--model", model, "--input", "\(dir)/unknown.src", "--beam", "2"], 0, "\n"),   // a translation line each
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--beam", "0"], 64, "--beam must be at least 1 (1 is greedy), got 0"),
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--beam=-3"], 64, "--beam must be at least 1 (1 is greedy), got -3"),
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--beam", "2", "--n-best", "3"], 64, "--n-best must lie in 1...2"),
            (["translate", "--model", lm, "--input", "\(dir)/p.src"], 1, "lm.safetensors: holds a language model, but this command needs a seq2seq"),
            (["translate", "--model", model, "--input", "\(dir)/unknown.src", "--max-words", "2"], 0, "unknown.src:1: 3 words, cut to the first 2"),
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--attention", "\(dir)/x.html", "--sentence", "9"], 1,
             "p.src: --sentence 9, but the input has 6 lines"),
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--attention", model], 64, "would overwrite an input"),
            (["translate", "--model", model, "--input", "\(dir)/p.src", "--max-ratio", "0"], 64, "--max-ratio must be positive"),
            (train + ["--source", "\(dir)/p.src", "--target", "\(dir)/p.tgt", "--scheduled-sampling", "1.5"], 64,
             "--scheduled-sampling must be a probability in 0...1, got 1.5"),
            (train + ["--source", "\(dir)/p.src", "--target", "\(dir)/p.tgt", "--scheduled-sampling", "nan"], 64,
             "--scheduled-sampling must be a probability in 0...1, got nan"),
            (train + ["--source", "\(dir)/p.src", "--target", "\(dir)/p.tgt", "--scheduled-sampling", "0.2", "--sampling-ramp=-1"], 64,
             "--sampling-ramp must be 0 or more epochs, got -1.0"),
            (["evaluate", "--model", model, "--source", "\(dir)/p.src"], 64, "give both --source and --target"),
            (["evaluate", "--model", model, "--source", "\(dir)/three.src", "--target", "\(dir)/two.tgt"], 1, "expected as many lines as"),
        ]
    }

    @Test("bad input gets one clear line and exit 1 (data) or 64 (usage), never a crash")
    func badInputs() throws {
        let dir = CLITests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (args, status, phrase) in try Self.badInputs(dir) {
            let r = try CLITests.rnn(args)
            #expect(r.status == status, "\(args): exit \(r.status), stderr \(r.stderr)")
            #expect((r.stdout + r.stderr).contains(phrase), "\(args): \(r.stdout) \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("backtrace"), "\(args): \(r.stderr)")
        }
    }
}
