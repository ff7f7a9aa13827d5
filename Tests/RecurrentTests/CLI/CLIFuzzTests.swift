import Foundation
import Testing
@testable import Recurrent

/// A seeded search over what a user can type: every numeric option of every
/// command (and the environment variables) set to awkward values, and
/// checkpoints and resume files whose configuration or training state was
/// edited. Each run of the built `rnn` must end with exit 0, 1 or 64 and, when
/// it fails, an `Error:` line; never a signal (a trap is SIGILL/SIGTRAP, an
/// abort SIGABRT). `RNN_FUZZ_CLI_CASES` sets how many option cases run
/// (default 120; `all` runs every one), `RNN_FUZZ_SEED` picks them.
@Suite(.serialized) struct CLIFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = UInt64(environment["RNN_FUZZ_SEED"] ?? "") ?? 13
    static let optionCases: Int? = environment["RNN_FUZZ_CLI_CASES"] == "all" ? nil : Int(environment["RNN_FUZZ_CLI_CASES"] ?? "") ?? 120

    /// Zero, negative, huge, beyond Double, NaN, infinities, 2^63-1, 2^63, not a number, empty, and a few ordinary values.
    static let values = ["0", "-1", "1e9", "1e300", "nan", "inf", "-inf", "9223372036854775807", "9223372036854775808", "abc", "",
                         "1", "2", "0.5", "1e-40", "-0"]

    /// The small files and models every case works on.
    struct Workspace {
        let dir: String
        var baselines: [(name: String, args: [String], options: [String], environment: [String: String])] = []
    }

    static func workspace() throws -> Workspace {
        let dir = CLITests.tempDir()
        let fm = FileManager.default
        try String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 12).write(toFile: "\(dir)/book.txt", atomically: true, encoding: .utf8)
        var tsv = "text\tlabel\n"
        for i in 0..<12 { tsv += (i % 2 == 0 ? "good fine great \(i)\tpos\n" : "bad awful poor \(i)\tneg\n") }
        try tsv.write(toFile: "\(dir)/c.tsv", atomically: true, encoding: .utf8)
        var conllu = ""
        for s in 0..<6 {
            conllu += "1\tdogs\tdog\tNOUN\t_\t_\t2\tnsubj\t_\t_\n2\tbark\tbark\tVERB\t_\t_\t0\troot\t_\t_\n3\t\(s)\t_\tNUM\t_\t_\t2\tobj\t_\t_\n\n"
        }
        try conllu.write(toFile: "\(dir)/t.conllu", atomically: true, encoding: .utf8)
        try "good great\nbad poor\n".write(toFile: "\(dir)/lines.txt", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: "\(dir)/empty", withIntermediateDirectories: true)
        try ("t,v\n" + (0..<40).map { "\($0),\(10 + $0 % 4)" }.joined(separator: "\n") + "\n").write(toFile: "\(dir)/s.csv", atomically: true, encoding: .utf8)
        try ("@classLabel true up down\n@data\n" + (0..<8).map { i in (0..<6).map { String(i % 2 == 0 ? $0 : 6 - $0) }.joined(separator: ",") + (i % 2 == 0 ? ":up" : ":down") }
            .joined(separator: "\n") + "\n").write(toFile: "\(dir)/n.ts", atomically: true, encoding: .utf8)

        let lm = ["train", "lm", "--data", "\(dir)/book.txt", "--layers", "1", "--hidden", "4", "--embedding", "4", "--seq", "4", "--batch", "2",
                  "--log-every", "1", "--steps", "1", "--minutes", "0.01"]
        let classify = ["train", "classify", "--data", "\(dir)/c.tsv", "--tokenizer", "whitespace", "--hidden", "4", "--embedding", "4",
                        "--batch", "4", "--log-every", "1", "--steps", "1", "--minutes", "0.01"]
        let tag = ["train", "tag", "--data", "\(dir)/t.conllu", "--hidden", "4", "--embedding", "4", "--char-hidden", "2", "--char-embedding", "2",
                   "--layers", "1", "--batch", "2", "--log-every", "1", "--steps", "1", "--minutes", "0.01"]
        try "a b c\nb c d\nc d a\nd a b\n".write(toFile: "\(dir)/pairs.src", atomically: true, encoding: .utf8)
        try "c b a\nd c b\na d c\nb a d\n".write(toFile: "\(dir)/pairs.tgt", atomically: true, encoding: .utf8)
        let translate = ["train", "translate", "--source", "\(dir)/pairs.src", "--target", "\(dir)/pairs.tgt", "--hidden", "4", "--embedding", "4",
                         "--min-count", "1", "--batch", "2", "--log-every", "1", "--steps", "1", "--minutes", "0.01"]
        let forecast = ["train", "forecast", "--data", "\(dir)/s.csv", "--horizon", "2", "--window", "4", "--hidden", "4", "--batch", "4",
                        "--log-every", "1", "--steps", "1", "--minutes", "0.01"]
        let numeric = ["train", "classify", "--data", "\(dir)/n.ts", "--hidden", "4", "--batch", "4", "--patch", "2", "--log-every", "1",
                       "--steps", "1", "--minutes", "0.01"]
        for (args, out) in [(lm, "lm"), (classify, "cls"), (tag, "tag"), (translate, "tr"), (forecast, "fc"), (numeric, "num")] {
            let r = try CLITests.rnn(args + ["--out", "\(dir)/\(out).safetensors"])
            #expect(r.status == 0, "setup \(out): \(r.stderr)")
        }
        let training = ["--lr", "--momentum", "--weight-decay", "--alpha", "--clip", "--minutes", "--epochs", "--steps", "--validate-every",
                        "--patience", "--log-every", "--seed", "--layers", "--hidden", "--embedding", "--dropout"]
        let noData = ["RNN_DATA_DIR": "\(dir)/empty", "XDG_CACHE_HOME": "\(dir)/empty"]
        var w = Workspace(dir: dir)
        w.baselines = [
            ("train lm", lm, training + ["--seq", "--batch", "--min-count", "--schedule"], [:]),
            ("train classify", classify, training + ["--valid-split", "--batch", "--min-count"], [:]),
            ("train forecast", forecast, training.filter { $0 != "--embedding" } + ["--horizon", "--window", "--difference", "--season", "--batch"], [:]),
            ("train classify numeric", numeric, training.filter { $0 != "--embedding" } + ["--batch", "--patch", "--input-dropout", "--input-noise", "--valid-split"], [:]),
            ("forecast", ["forecast", "--model", "\(dir)/fc.safetensors", "--data", "\(dir)/s.csv"], [], [:]),
            ("train tag", tag, training + ["--batch", "--min-count", "--char-hidden", "--char-embedding"], [:]),
            ("sample", ["sample", "--model", "\(dir)/lm.safetensors", "--length", "5", "--temperature", "1", "--top-k", "3", "--seed", "1"],
             ["--length", "--temperature", "--top-k", "--seed"], [:]),
            ("predict", ["predict", "--model", "\(dir)/cls.safetensors", "--top", "1", "\(dir)/lines.txt"], ["--top"], [:]),
            ("evaluate lm", ["evaluate", "--model", "\(dir)/lm.safetensors", "--data", "\(dir)/book.txt", "--seq", "8", "--batch", "2"],
             ["--seq", "--batch"], [:]),
            ("evaluate classifier", ["evaluate", "--model", "\(dir)/cls.safetensors", "--data", "\(dir)/c.tsv", "--held-out", "0.5", "--seed", "1"],
             ["--held-out", "--seed"], [:]),
            ("demo", ["demo", "--minutes", "0.01", "--hidden", "4", "--layers", "1", "--validate-every", "1", "--seed", "1", "--out", "\(dir)/demo.safetensors"],
             ["--minutes", "--hidden", "--layers", "--validate-every", "--seed"], noData),
            ("train translate", translate, training + ["--batch", "--min-count", "--attention-size", "--max-words"], [:]),
            ("translate", ["translate", "--model", "\(dir)/tr.safetensors", "--input", "\(dir)/pairs.src", "--beam", "2", "--n-best", "1", "--batch", "4",
                           "--max-words", "10", "--sentence", "1", "--alpha", "0.6", "--max-ratio", "1.5"],
             ["--beam", "--n-best", "--batch", "--max-words", "--sentence", "--alpha", "--max-ratio"], [:]),
            ("evaluate translation", ["evaluate", "--model", "\(dir)/tr.safetensors", "--source", "\(dir)/pairs.src", "--target", "\(dir)/pairs.tgt",
                                      "--beam", "2", "--alpha", "0.6", "--max-ratio", "1.5"], ["--beam", "--alpha", "--max-ratio"], [:]),
            ("bench", ["bench", "--seconds", "0.01", "--threads", "1", "generate-lstm-1x128"], ["--seconds", "--threads"], [:]),
        ]
        return w
    }

    /// `args` with `option`'s value replaced by (or, when absent, followed by) `value`; train commands get a fresh `--out`.
    static func setting(_ args: [String], _ option: String, to value: String, out: String?) -> [String] {
        var a = args
        if let i = a.firstIndex(of: option), i + 1 < a.count { a[i + 1] = value } else { a += [option, value] }
        if option == "--schedule" { a[a.firstIndex(of: "--schedule")! + 1] = ["cosine:\(value)", "decay:\(value):0.5", "step:1:\(value)", "plateau:\(value):1"][(Self.values.firstIndex(of: value) ?? 0) % 4] }
        if let out, a.first == "train" { a += ["--out", out] }
        return a
    }

    /// The run ended the way every run must.
    static func expectClean(_ r: CLITests.Result, _ what: String, mayRunLong: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        if r.timedOut && mayRunLong { return }
        #expect(!r.signaled, "\(what): killed by signal \(r.status); stderr: \(r.stderr.suffix(600))", sourceLocation: sourceLocation)
        #expect([0, 1, 64].contains(r.status), "\(what): exit \(r.status); stderr: \(r.stderr.suffix(600))", sourceLocation: sourceLocation)
        if r.status != 0 {
            #expect(r.stderr.contains("Error:"), "\(what): exit \(r.status) without a message: \(r.stderr.suffix(600))", sourceLocation: sourceLocation)
        }
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrac"), "\(what): \(r.stderr.suffix(600))", sourceLocation: sourceLocation)
    }

    @Test func everyNumericOptionAndVariableEndsCleanly() throws {
        let w = try Self.workspace()
        var cases: [(name: String, args: [String], environment: [String: String], mayRunLong: Bool)] = []
        for b in w.baselines {
            for option in b.options {
                for v in Self.values {
                    cases.append(("\(b.name) \(option) \(v.debugDescription)", Self.setting(b.args, option, to: v, out: "\(w.dir)/o\(cases.count).safetensors"),
                                  b.environment, option == "--length"))
                }
            }
        }
        for variable in ["RNN_THREADS", "RNN_BLAS", "RNN_CPU"] {
            for v in Self.values + ["builtin", "portable", "4"] { cases.append(("\(variable)=\(v.debugDescription) info", ["info"], [variable: v], false)) }
        }
        var rng = SeededRNG(seed: Self.seed)
        cases.shuffle(using: &rng)
        let chosen = cases.prefix(Self.optionCases ?? cases.count)
        var statuses: [Int32: Int] = [:]
        for c in chosen {
            let r = try CLITests.rnn(c.args, environment: c.environment, timeout: c.mayRunLong ? 3 : 60)
            Self.expectClean(r, "\(c.name) (\(c.args.joined(separator: " ")))", mayRunLong: c.mayRunLong)
            statuses[r.status, default: 0] += 1
        }
        print("CLIFuzzTests: \(chosen.count) of \(cases.count) option cases (seed \(Self.seed)); exit statuses \(statuses.sorted { $0.key < $1.key })")
        // The search reaches past argument checks: some cases run, some are refused as usage errors.
        #expect(statuses[64, default: 0] > 0 && statuses[0, default: 0] > 0, "\(statuses)")
    }

    /// Config and training-state fields set to awkward JSON values.
    static var jsonValues: [Any] { [0, -1, 1_000_000_000, 1e300, Int.max, "x", NSNull(), 1_000_000, true, 0.5, [1, 2]] }

    static func mutated(_ ck: Checkpoint, key: String, field: String, value: Any, tensors: [(name: String, tensor: Tensor)]? = nil) throws -> (Data, String) {
        var metadata = ck.metadata
        var object = (try JSONSerialization.jsonObject(with: Data((metadata[key] ?? "{}").utf8))) as? [String: Any] ?? [:]
        object[field] = value
        metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let list = tensors ?? ck.tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return (SafeTensorsFile.encode(list, metadata: metadata), "\(key).\(field) = \(value)")
    }

    @Test func editedCheckpointsAndResumeFilesEndCleanly() throws {
        let w = try Self.workspace()
        let dir = w.dir
        let model = try Checkpoint.read("\(dir)/lm.safetensors")
        let train = ["train", "lm", "--data", "\(dir)/book.txt", "--layers", "1", "--hidden", "4", "--embedding", "4", "--seq", "4", "--batch", "2",
                     "--log-every", "100", "--steps", "3"]
        let first = try CLITests.rnn(train + ["--out", "\(dir)/r.safetensors"])
        #expect(first.status == 0, "\(first.stderr)")
        let resume = try Checkpoint.read("\(dir)/r.resume.safetensors")

        var rng = SeededRNG(seed: Self.seed)
        var files: [(bytes: Data, what: String)] = []
        for field in ["hiddenSize", "layers", "vocabularySize", "embeddingSize", "dropout", "cell", "level"] {
            for v in Self.jsonValues where rng.nextInt(below: 2) == 0 { files.append(try Self.mutated(model, key: "config", field: field, value: v)) }
        }
        var models = 0
        for (bytes, what) in files {
            let path = "\(dir)/m\(models).safetensors"
            models += 1
            try bytes.write(to: URL(fileURLWithPath: path))
            // One command per file, in turn, keeps the test short.
            let command: [String] = switch rng.nextInt(below: 3) {
            case 0: ["sample", "--model", path, "--length", "3"]
            case 1: ["inspect", "--model", path]
            default: ["evaluate", "--model", path, "--data", "\(dir)/book.txt", "--seq", "4"]
            }
            Self.expectClean(try CLITests.rnn(command), "model with \(what): \(command.first!)")
        }

        var resumes: [(bytes: Data, what: String)] = []
        for field in ["step", "epoch", "batchIndex", "skippedBatches", "elapsedSeconds", "validationsWithoutImprovement", "bestLoss", "lastLoss",
                      "batchesPerEpoch", "rngState", "scheduler"] {
            for v in Self.jsonValues where rng.nextInt(below: 2) == 0 || field == "batchIndex" {
                resumes.append(try Self.mutated(resume, key: "training_state", field: field, value: v))
            }
        }
        for field in ["baseRate", "plateauScale", "plateauBad"] {
            let state = try JSONSerialization.jsonObject(with: Data((resume.metadata["training_state"] ?? "{}").utf8)) as? [String: Any]
            var scheduler = state?["scheduler"] as? [String: Any] ?? [:]
            scheduler[field] = -1
            resumes.append(try Self.mutated(resume, key: "training_state", field: "scheduler", value: scheduler))
        }
        for field in ["seed", "batchesPerEpoch", "maxSteps", "clipNorm"] {
            resumes.append(try Self.mutated(resume, key: "training_options", field: field, value: Self.jsonValues[rng.nextInt(below: Self.jsonValues.count)]))
        }
        resumes.append(try Self.mutated(resume, key: "optimizer", field: "learningRate", value: 1e300))
        // Carried state of the wrong shape, or half of it missing.
        var tensors = resume.tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let i = tensors.firstIndex(where: { $0.0 == "carried.h" }) {
            tensors[i].1 = Tensor.zeros([1, 7, 4])
            resumes.append(try Self.mutated(resume, key: "training_state", field: "step", value: 3, tensors: tensors))
            tensors.remove(at: i)
            resumes.append(try Self.mutated(resume, key: "training_state", field: "step", value: 3, tensors: tensors))
        }
        for (i, (bytes, what)) in resumes.enumerated() {
            let out = "\(dir)/r\(i).safetensors"
            try bytes.write(to: URL(fileURLWithPath: TrainingOptions.resumePath(for: out)))
            Self.expectClean(try CLITests.rnn(train + ["--out", out, "--resume"], timeout: 60), "resume file with \(what)")
        }
        print("CLIFuzzTests: \(models) edited checkpoints, \(resumes.count) edited resume files (seed \(Self.seed))")
        #expect(models + resumes.count > 60)
    }
}
