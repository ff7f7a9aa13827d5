import Foundation
import Testing
@testable import Recurrent

/// `rnn plot`, `rnn train --plot` and `rnn explain` end to end, and their bad
/// inputs (docs/bad-inputs.md, rows S1-S11).
@Suite(.serialized) struct SeeingInsideCLITests {
    @Test("rnn plot overlays runs, skips broken lines naming them, and writes plain SVG")
    func plotWritesPageAndSVG() throws {
        let dir = CLITests.tempDir()
        let curves = try PageTests.curvesPage(dir)      // also writes run-a.jsonl and run-b.jsonl, each with a broken line 4
        try FileManager.default.removeItem(atPath: curves)
        let r = try CLITests.rnn(["plot", "\(dir)/run-a.jsonl", "\(dir)/run-b.jsonl", "--x", "time", "--log", "--out", "\(dir)/c.html"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("run-a.jsonl:4: skipped: not valid JSON") && r.stdout.contains("skipped 1 broken line(s) of 25"))     // S1
        let html = try String(contentsOfFile: "\(dir)/c.html", encoding: .utf8)
        #expect(html.components(separatedBy: "class=\"chart\"").count - 1 == 5 && html.contains("wall time (s)") && html.contains("log scale"))
        let s = try CLITests.rnn(["plot", "\(dir)/run-a.jsonl", "--svg", "--out", "\(dir)/c.svg"])
        let svg = try String(contentsOfFile: "\(dir)/c.svg", encoding: .utf8)
        #expect(s.status == 0 && svg.hasPrefix("<?xml") && !svg.contains("<html") && svg.components(separatedBy: "class=\"chart\"").count - 1 == 5)
    }

    @Test("rnn train --plot draws the page while training and leaves it without the reload at the end")
    func trainPlotRefreshes() throws {
        let dir = CLITests.tempDir()
        let r = try CLITests.rnn(["train", "lm", "--text", String(repeating: "hello world\n", count: 20), "--hidden", "8", "--layers", "1",
                              "--seq", "8", "--batch", "2", "--steps", "30", "--log-every", "5", "--validate-every", "10",
                              "--metrics", "\(dir)/m.jsonl", "--plot", "\(dir)/curves.html", "--out", "\(dir)/m.safetensors"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let html = try String(contentsOfFile: "\(dir)/curves.html", encoding: .utf8)
        #expect(html.contains("class=\"chart\"") && !html.contains("http-equiv=\"refresh\""))
        let log = try MetricsLog(contentsOf: "\(dir)/m.jsonl")
        #expect(log.records.allSatisfy { $0["time"] != nil }, "every metrics line has the wall time")
    }

    @Test("rnn explain activations on a character LM marks characters outside its vocabulary")
    func explainActivationsMarksUnknownCharacters() throws {
        let dir = CLITests.tempDir()
        try InsideTests.plantedModel().save(to: "\(dir)/lm.safetensors")
        try "abc de\nxx (bad)\n".write(toFile: "\(dir)/t.txt", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["explain", "activations", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/t.txt", "--out", "\(dir)/cells.html"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4 token(s) outside the model's vocabulary (\"(\", \")\", \"x\"), marked on the page"))    // S3
        let html = try String(contentsOfFile: "\(dir)/cells.html", encoding: .utf8)
        #expect(html.contains("4 token(s) outside the model's vocabulary") && html.contains("Gate saturation per layer"))
    }

    @Test("rnn explain gradients writes the page and prints the ratios")
    func explainGradients() throws {
        let dir = CLITests.tempDir()
        let r = try CLITests.rnn(["explain", "gradients", "--cell", "rnn", "--cell", "lstm", "--distance", "10", "--steps", "5", "--hidden", "8",
                              "--out", "\(dir)/g.html"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("RNN(tanh): |dL/dh| at distance 10 / at 0") && r.stdout.contains("exploding RNN (W_hh x 6)"))
        let html = try String(contentsOfFile: "\(dir)/g.html", encoding: .utf8)
        #expect(html.components(separatedBy: "class=\"chart\"").count - 1 == 3)
    }

    @Test("rnn explain gradients --model measures a language model on a text against the same model untrained")
    func explainGradientsOnAModel() throws {
        let dir = CLITests.tempDir()
        try InsideTests.plantedModel().save(to: "\(dir)/lm.safetensors")
        try "abc de\nbad cab\nxx dace\n".write(toFile: "\(dir)/t.txt", atomically: true, encoding: .utf8)
        let r = try CLITests.rnn(["explain", "gradients", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/t.txt", "--length", "12", "--out", "\(dir)/g.html"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(dir)/g.html: 12 tokens read, 1 layer(s)"))
        let html = try String(contentsOfFile: "\(dir)/g.html", encoding: .utf8)
        #expect(html.components(separatedBy: "class=\"chart\"").count - 1 == 1 && html.components(separatedBy: "class=\"series\"").count - 1 == 2)
    }

    @Test("bad inputs: a clear one-line error and exit code 1 (data) or 64 (usage), nothing overwritten")
    func badInputs() throws {
        let dir = CLITests.tempDir()
        let fm = FileManager.default
        try "not json\n{also not\n".write(toFile: "\(dir)/broken.jsonl", atomically: true, encoding: .utf8)
        try #"{"step":1,"loss":2}"#.write(toFile: "\(dir)/ok.jsonl", atomically: true, encoding: .utf8)
        try Checkpoint.write(kind: SequenceTagger.kind, config: "{}", vocabulary: ["a"], tensors: [("x", .zeros([1]))], to: "\(dir)/tagger.safetensors")
        try InsideTests.plantedModel().save(to: "\(dir)/lm.safetensors")
        try "xyz".write(toFile: "\(dir)/unknown.txt", atomically: true, encoding: .utf8)
        try fm.linkItem(atPath: "\(dir)/unknown.txt", toPath: "\(dir)/link.html")      // a hard link to the text
        var cases: [([String], Int32, String)] = [
            (["plot", "\(dir)/broken.jsonl", "--out", "\(dir)/p.html"], 1,
             "broken.jsonl:1: expected JSON objects of numbers, one per line, as `rnn train --metrics` writes them, found not valid JSON"),   // S2
            (["explain", "activations", "--model", "\(dir)/tagger.safetensors", "--text", "\(dir)/unknown.txt", "--out", "\(dir)/p.html"], 1,
             "holds a sequence tagger; `rnn explain activations` can explain a language model or a sequence classifier"),                      // S4
            (["explain", "activations", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/unknown.txt", "--out", "\(dir)/p.html"], 1,
             "unknown.txt:1: expected text with tokens in the model's vocabulary, found none"),                                               // S5
            (["plot", "\(dir)/ok.jsonl", "--out", "\(dir)/no/such/dir/p.html"], 1, "p.html: cannot write the page here: folder \(dir)/no/such/dir does not exist"),  // S6
            (["plot", "\(dir)/ok.jsonl", "--out", dir], 1, "cannot write the page here: it is a directory"),                                // S6
            (["explain", "gradients", "--steps", "1", "--out", "\(dir)/nope/g.html"], 1, "cannot write the page here: folder"),           // S6
            (["plot", "\(dir)/ok.jsonl", "--out", "\(dir)/ok.jsonl"], 64, "is one of the metrics files; choose another path"),            // S7
            (["plot", "\(dir)/ok.jsonl", "--out", "\(dir)/unknown.txt"], 1,
             "unknown.txt: cannot write the page here: the file exists and is not an HTML page or SVG; refusing to replace it"),          // S11
            (["explain", "activations", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/unknown.txt", "--out", "\(dir)/link.html"], 1,
             "link.html: cannot write the page here: it is this command's --text; choose another path"),                                // S11
            (["plot", "--out", "\(dir)/p.html"], 64, "give at least one metrics file"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--plot", "\(dir)/c.html", "--out", "\(dir)/m.safetensors"], 64,
             "--plot draws the --metrics file; give --metrics FILE too"),                                                                  // S8
            (["train", "lm", "--text", "hello", "--seq", "2", "--batch", "1", "--steps", "1", "--metrics", "\(dir)/m.jsonl", "--plot", "\(dir)/gone/c.html", "--out", "\(dir)/m.safetensors"], 1,
             "c.html: cannot write the page here: folder"),                                                                                  // S8
            (["explain", "gradients", "--distance", "0", "--out", "\(dir)/g.html"], 64, "--distance must lie in 1...500, got 0"),       // S9
            (["explain", "gradients", "--model", "\(dir)/lm.safetensors", "--out", "\(dir)/g.html"], 64, "--model and --text go together"),  // S10
            (["explain", "gradients", "--model", "\(dir)/tagger.safetensors", "--text", "\(dir)/unknown.txt", "--out", "\(dir)/g.html"], 1,
             "holds a sequence tagger; `rnn explain gradients --model` can measure a language model"),                                     // S10
            (["explain", "gradients", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/unknown.txt", "--out", "\(dir)/g.html"], 1,
             "unknown.txt:1: expected at least 2 tokens the model knows, found 0"),                                                        // S10
            (["explain", "activations", "--model", "\(dir)/lm.safetensors", "--text", "\(dir)/unknown.txt", "--max-tokens", "0", "--out", "\(dir)/p.html"], 64,
             "--max-tokens must lie in 1...5000, got 0"),                                                                                            // S9
        ]
        // S12: the page is never an input of the run, nor its resume file (before: both were replaced by the page).
        let userPage = "<!DOCTYPE html><p>the user's own page, read as training text</p>"
        try userPage.write(toFile: "\(dir)/own.html", atomically: true, encoding: .utf8)
        let trainLM = ["train", "lm", "--seq", "2", "--batch", "1", "--steps", "1", "--metrics", "\(dir)/m.jsonl", "--out", "\(dir)/m.safetensors"]
        cases += [
            (trainLM + ["--data", "\(dir)/own.html", "--plot", "\(dir)/own.html"], 1, "own.html: cannot write the page here: it is this command's --data"),
            (trainLM + ["--text", "hello", "--plot", "\(dir)/m.resume.safetensors"], 1,
             "m.resume.safetensors: cannot write the page here: it is also the resume file; give them different paths"),
        ]
        for (args, status, phrase) in cases {
            let r = try CLITests.rnn(args)
            #expect(r.status == status, "\(args): exit \(r.status), expected \(status); \(r.stderr)")
            #expect(r.stderr.contains(phrase), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("backtrace"))
        }
        #expect(!fm.fileExists(atPath: "\(dir)/m.safetensors"), "training with a bad --plot did not start")
        #expect(try String(contentsOfFile: "\(dir)/unknown.txt", encoding: .utf8) == "xyz", "the user's text is untouched")
        #expect(try String(contentsOfFile: "\(dir)/own.html", encoding: .utf8) == userPage, "the training text is untouched")
        #expect(!fm.fileExists(atPath: "\(dir)/m.resume.safetensors"))
        #expect(try String(contentsOfFile: "\(dir)/ok.jsonl", encoding: .utf8) == #"{"step":1,"loss":2}"#, "the metrics file is untouched")
    }
}
