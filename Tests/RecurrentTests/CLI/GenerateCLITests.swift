import Foundation
import Testing
@testable import Recurrent

/// `rnn train generate`, `sample --condition/--features`, `evaluate` on a
/// generator, the feature readers, and the bad inputs of the one-to-many task.
@Suite(.serialized) struct GenerateCLITests {
    static let digits = ["zero", "one", "two", "three", "four"]

    /// A synthetic captioning set: row i encodes a 3-digit sequence as three
    /// one-hot blocks of 5 (15 features); its caption spells the digits.
    static func digitSet(rows: Int = 40) -> (features: Tensor, captions: [String]) {
        var rng = SeededRNG(seed: 7)
        var scalars: [Float] = [], captions: [String] = []
        for _ in 0..<rows {
            let ds = (0..<3).map { _ in Int(rng.nextUnitFloat() * 5) % 5 }
            for d in ds { scalars += (0..<5).map { $0 == d ? 1 : 0 } }
            captions.append(ds.map { digits[$0] }.joined(separator: " "))
        }
        return (Tensor(shape: [rows, 15], scalars: scalars), captions)
    }

    /// `t` as a .npy file (float32, or float64 when `double`).
    static func npy(_ t: Tensor, double: Bool = false) -> Data {
        var header = "{'descr': '<f\(double ? 8 : 4)', 'fortran_order': False, 'shape': (\(t.shape[0]), \(t.shape[1])), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count & 255), UInt8(header.utf8.count >> 8)]) + Data(header.utf8)
        for x in t.scalars {
            if double { withUnsafeBytes(of: Double(x).bitPattern.littleEndian) { d.append(contentsOf: $0) } }
            else { withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        }
        return d
    }

    static func csv(_ t: Tensor) -> String {
        (0..<t.shape[0]).map { r in (0..<t.shape[1]).map { String(t.scalars[r * t.shape[1] + $0]) }.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    @Test func featureFilesReadTheSameFromNpySafetensorsAndCSV() throws {
        let dir = CLITests.tempDir()
        let t = randomTensor([4, 3], seed: 2)
        try Self.npy(t).write(to: URL(fileURLWithPath: "\(dir)/f.npy"))
        try Self.npy(t, double: true).write(to: URL(fileURLWithPath: "\(dir)/d.npy"))
        try SafeTensorsFile.write([("features", t)], to: "\(dir)/f.safetensors")
        try Self.csv(t).write(toFile: "\(dir)/f.csv", atomically: true, encoding: .utf8)
        for name in ["f.npy", "d.npy", "f.safetensors", "f.csv"] {
            expectClose(try FeatureFile.read("\(dir)/\(name)"), t, atol: 1e-6, name)
        }
        var bad = t
        bad.scalars[7] = .nan
        try Self.npy(bad).write(to: URL(fileURLWithPath: "\(dir)/nan.npy"))
        #expect(throws: FeatureFileError.self) { try FeatureFile.read("\(dir)/nan.npy") }
        try "1,2\n3\n".write(toFile: "\(dir)/ragged.csv", atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformed(path: "\(dir)/ragged.csv", line: 2, expected: "2 numbers, as on line 1", found: "1")) {
            try FeatureFile.read("\(dir)/ragged.csv")
        }
    }

    @Test func captioningShapeLearnsToSpellTheDigitsOfARow() throws {
        let dir = CLITests.tempDir()
        let set = Self.digitSet()
        try Self.npy(set.features).write(to: URL(fileURLWithPath: "\(dir)/feats.npy"))
        try (set.captions.joined(separator: "\n") + "\n").write(toFile: "\(dir)/captions.txt", atomically: true, encoding: .utf8)
        let train = try CLITests.rnn(["train", "generate", "--features", "\(dir)/feats.npy", "--captions", "\(dir)/captions.txt",
                                      "--level", "word", "--layers", "1", "--hidden", "32", "--embedding", "8", "--batch", "40",
                                      "--valid-split", "0", "--steps", "250", "--lr", "0.02", "--log-every", "1000",
                                      "--out", "\(dir)/cap.safetensors"])
        #expect(train.status == 0, "\(train.stdout) \(train.stderr)")
        for row in [3, 17] {
            let greedy = try CLITests.rnn(["sample", "--model", "\(dir)/cap.safetensors", "--features", "\(dir)/feats.npy", "--row", "\(row)", "--argmax"])
            #expect(greedy.status == 0 && greedy.stdout == set.captions[row] + "\n", "row \(row): \(greedy.stdout) \(greedy.stderr)")
            let beam = try CLITests.rnn(["sample", "--model", "\(dir)/cap.safetensors", "--features", "\(dir)/feats.npy", "--row", "\(row)", "--beam", "3"])
            #expect(beam.status == 0 && beam.stdout == set.captions[row] + "\n", "beam row \(row): \(beam.stdout) \(beam.stderr)")
        }
        let eval = try CLITests.rnn(["evaluate", "--model", "\(dir)/cap.safetensors", "--data", "\(dir)/captions.txt", "--features", "\(dir)/feats.npy", "--json"])
        #expect(eval.status == 0 && eval.stdout.contains("\"sequences\":40"), "\(eval.stdout) \(eval.stderr)")
    }

    /// A label-conditioned generator on a folder of per-label files, and a classifier on the same folder.
    static func labelModels(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: "\(dir)/words", withIntermediateDirectories: true)
        for (label, word) in [("a", "cat"), ("b", "dog"), ("c", "emu")] {
            try "\(word)\n\(word)\n".write(toFile: "\(dir)/words/\(label).txt", atomically: true, encoding: .utf8)
        }
        let g = try CLITests.rnn(["train", "generate", "--data", "\(dir)/words", "--valid-split", "0", "--layers", "1", "--hidden", "16",
                                  "--steps", "150", "--lr", "0.02", "--log-every", "1000", "--out", "\(dir)/gen.safetensors"])
        #expect(g.status == 0, "\(g.stdout) \(g.stderr)")
        let c = try CLITests.rnn(["train", "classify", "--data", "\(dir)/words", "--tokenizer", "char", "--hidden", "8", "--embedding", "4",
                                  "--steps", "60", "--lr", "0.02", "--log-every", "1000", "--out", "\(dir)/cls.safetensors"])
        #expect(c.status == 0, "\(c.stdout) \(c.stderr)")
    }

    @Test func labelGeneratorSamplesEvaluatesAndPassesTheClassifierCheck() throws {
        let dir = CLITests.tempDir()
        try Self.labelModels(dir)
        let s = try CLITests.rnn(["sample", "--model", "\(dir)/gen.safetensors", "--condition", "b", "--count", "3", "--argmax"])
        #expect(s.status == 0 && s.stdout == "dog\ndog\ndog\n", "\(s.stdout) \(s.stderr)")
        let p = try CLITests.rnn(["sample", "--model", "\(dir)/gen.safetensors", "--condition", "c", "--prime", "e", "--argmax"])
        #expect(p.stdout == "emu\n", "\(p.stdout) \(p.stderr)")
        let e = try CLITests.rnn(["evaluate", "--model", "\(dir)/gen.safetensors", "--data", "\(dir)/words",
                                  "--classifier", "\(dir)/cls.safetensors", "--temperature", "0.5", "--json"])
        #expect(e.status == 0 && e.stdout.contains("\"generated_classified_as_requested\":1.000000"), "\(e.stdout) \(e.stderr)")
        #expect(e.stdout.contains("\"per_label\":{\"a\":"), "\(e.stdout)")
    }

    @Test func everyGeneratorBadInputGetsOneClearLine() throws {
        let dir = CLITests.tempDir()
        try Self.labelModels(dir)
        let set = Self.digitSet(rows: 6)
        try Self.npy(set.features).write(to: URL(fileURLWithPath: "\(dir)/feats.npy"))
        try (set.captions.joined(separator: "\n") + "\n").write(toFile: "\(dir)/captions.txt", atomically: true, encoding: .utf8)
        try (set.captions.prefix(5).joined(separator: "\n") + "\n").write(toFile: "\(dir)/five.txt", atomically: true, encoding: .utf8)
        var nan = set.features
        nan.scalars[2 * 15 + 4] = .nan
        try Self.csv(nan).write(toFile: "\(dir)/nan.csv", atomically: true, encoding: .utf8)
        try Self.csv(randomTensor([6, 16], seed: 1)).write(toFile: "\(dir)/wide.csv", atomically: true, encoding: .utf8)
        let cap = try CLITests.rnn(["train", "generate", "--features", "\(dir)/feats.npy", "--captions", "\(dir)/captions.txt", "--level", "word",
                                    "--hidden", "8", "--layers", "1", "--steps", "2", "--valid-split", "0", "--out", "\(dir)/cap.safetensors"])
        #expect(cap.status == 0, "\(cap.stderr)")
        try CLITests.rnn(["train", "lm", "--text", "hello", "--layers", "1", "--hidden", "8", "--seq", "4", "--batch", "1",
                          "--steps", "2", "--out", "\(dir)/hello.safetensors"])
        // A checkpoint whose configuration asks for far more than its tensors hold.
        let gen = try Checkpoint.read("\(dir)/gen.safetensors")
        try Checkpoint.write(kind: gen.kind, config: gen.config.replacingOccurrences(of: "\"hiddenSize\":16", with: "\"hiddenSize\":1000000000"),
                             vocabulary: gen.vocabulary, tensors: gen.tensors.map { ($0.key, $0.value) }, to: "\(dir)/huge.safetensors")
        let rows: [([String], String, Int32)] = [
            (["sample", "--model", "\(dir)/gen.safetensors", "--condition", "a", "--count", "0"], "--count must be at least 1 and at most 1000000, got 0", 64),
            (["sample", "--model", "\(dir)/huge.safetensors", "--condition", "a"], "huge.safetensors: metadata 'config': describes a model of", 1),
            (["sample", "--model", "\(dir)/gen.safetensors", "--condition", "Klingon"], "unknown condition 'Klingon'; the model knows a, b, c", 1),
            (["sample", "--model", "\(dir)/gen.safetensors"], "give --condition LABEL, one of a, b, c", 1),
            // Options that were read by the other kind of model only (before: ignored without a word).
            (["sample", "--model", "\(dir)/gen.safetensors", "--condition", "a", "--length", "50"],
             "--length is for a language model; a generator's sequences end at <eos> or --max-length", 64),
            (["sample", "--model", "\(dir)/hello.safetensors", "--count", "3"],
             "--count and --max-length are for a conditional generator; \(dir)/hello.safetensors holds a language model: give --length", 64),
            (["sample", "--model", "\(dir)/gen.safetensors", "--condition", "a", "--row", "3"], "--row picks a row of --features; give --features FILE too", 64),
            (["sample", "--model", "\(dir)/gen.safetensors", "--condition", "a", "--beam", "3", "--temperature", "0.3"],
             "--beam searches for the most likely text; --temperature is for sampling", 64),
            (["sample", "--model", "\(dir)/cap.safetensors", "--features", "\(dir)/wide.csv", "--row", "0"],
             "wide.csv: rows have 16 features, but the model was trained on 15", 1),
            (["sample", "--model", "\(dir)/cap.safetensors", "--features", "\(dir)/feats.npy", "--row", "6"],
             "feats.npy: has 6 rows; --row 6 is out of range (rows count from 0)", 1),
            (["sample", "--model", "\(dir)/cap.safetensors", "--features", "\(dir)/nan.csv", "--row", "0"],
             "nan.csv: row 2 holds NaN (column 4, counting from 0); features must be finite numbers", 1),
            (["train", "generate", "--features", "\(dir)/feats.npy", "--captions", "\(dir)/five.txt", "--steps", "1", "--out", "\(dir)/x.safetensors"],
             "feats.npy has 6 feature rows but \(dir)/five.txt has 5 captions", 1),
            (["train", "generate", "--features", "\(dir)/nan.csv", "--captions", "\(dir)/captions.txt", "--steps", "1", "--out", "\(dir)/x.safetensors"],
             "nan.csv: row 2 holds NaN", 1),
            (["train", "generate", "--features", "\(dir)/feats.npy", "--steps", "1", "--out", "\(dir)/x.safetensors"],
             "--features and --captions go together", 64),
            (["predict", "--model", "\(dir)/gen.safetensors", "\(dir)/captions.txt"],
             "holds a conditional generator, but this command needs a sequence classifier or sequence tagger", 1),
            (["sample", "--model", "\(dir)/cls.safetensors", "--condition", "a"],
             "holds a sequence classifier, but this command needs a conditional generator", 1),
            (["sample", "--model", "\(dir)/hello.safetensors", "--condition", "a"],
             "holds a language model, but this command needs a conditional generator", 1),
            (["evaluate", "--model", "\(dir)/cap.safetensors", "--data", "\(dir)/captions.txt", "--features", "\(dir)/feats.npy",
              "--classifier", "\(dir)/cls.safetensors"], "--classifier checks a label-conditioned generator", 1),
        ]
        for (args, phrase, status) in rows {
            let r = try CLITests.rnn(args)
            #expect(r.status == status, "\(args) exited \(r.status): \(r.stderr)")
            #expect(r.stderr.contains(phrase), "\(args): stderr was \(r.stderr.debugDescription)")
            #expect(!r.stderr.contains("Backtrac") && !r.stderr.contains("Fatal error"), "\(args) crashed: \(r.stderr)")
        }
    }

    static var namesData: String? {
        guard let dir = ProcessInfo.processInfo.environment["RNN_DATA_DIR"],
              FileManager.default.fileExists(atPath: "\(dir)/names/Russian.txt") else { return nil }
        return dir
    }

    @Test(.enabled(if: namesData != nil, "needs RNN_DATA_DIR with the names set"))
    func namesByLanguageTrainsSamplesAndEvaluatesPerLanguage() throws {
        let dir = CLITests.tempDir(), env = ["RNN_DATA_DIR": Self.namesData!]
        let t = try CLITests.rnn(["train", "generate", "--data", "names", "--layers", "1", "--hidden", "16", "--embedding", "8",
                                  "--steps", "20", "--log-every", "1000", "--out", "\(dir)/names.safetensors"], environment: env)
        #expect(t.status == 0 && t.stdout.contains("18 labels"), "\(t.stdout) \(t.stderr)")
        let s = try CLITests.rnn(["sample", "--model", "\(dir)/names.safetensors", "--condition", "Russian", "--count", "4",
                                  "--temperature", "0.8"], environment: env)
        #expect(s.status == 0 && s.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 5, "\(s.stdout) \(s.stderr)")
        let unknown = try CLITests.rnn(["sample", "--model", "\(dir)/names.safetensors", "--condition", "Martian"], environment: env)
        #expect(unknown.status == 1 && unknown.stderr.contains("the model knows Arabic, Chinese, Czech"), "\(unknown.stderr)")
        let e = try CLITests.rnn(["evaluate", "--model", "\(dir)/names.safetensors", "--data", "names", "--held-out", "0.1", "--seed", "1"],
                                 environment: env)
        #expect(e.status == 0 && e.stdout.contains("Vietnamese") && e.stdout.contains("nats/token"), "\(e.stdout) \(e.stderr)")
    }
}
