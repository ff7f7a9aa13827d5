import Foundation
import Testing
@testable import Recurrent

/// The built `rnn` binary, end to end: arguments in, exit code and output out.
@Suite(.serialized) struct CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The process ended by a signal (a trap, or the `timeout` kill); `status` is then the signal number.
        var signaled = false
        /// The process was still running after `timeout` seconds and was killed.
        var timedOut = false
    }

    static var binary: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("rnn").path
    }

    static func tempDir() -> String { TrainerTests.tempDir() }

    /// Polls `condition` until it holds or `seconds` pass; whether it held.
    static func waitUntil(seconds: Double = 60, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// A file's modification date, or nil when it does not exist.
    static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    @discardableResult
    static func rnn(_ args: [String], environment: [String: String] = [:], interruptAfter: String? = nil,
                    timeout: Double? = nil, launcher: String? = nil, input: Data? = nil) throws -> Result {
        let p = Process()
        // `launcher` (mpirun) runs instead, with `args` naming the binary.
        p.executableURL = URL(fileURLWithPath: launcher ?? binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        // Standard input: `input` when given, else nothing (never the test runner's own).
        let stdin = Pipe()
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
        let killer = timeout.map { seconds in
            DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        }
        if let killer, let timeout { DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer) }
        var collected = Data()
        if let marker = interruptAfter {
            // Read until the marker shows up, then send SIGINT as Ctrl-C would.
            while !String(decoding: collected, as: UTF8.self).contains(marker) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                collected.append(chunk)
            }
            kill(p.processIdentifier, SIGINT)
        }
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer?.cancel()
        let signaled = p.terminationReason == .uncaughtSignal
        return Result(status: p.terminationStatus, stdout: String(decoding: collected + rest, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), signaled: signaled,
                      timedOut: signaled && p.terminationStatus == SIGKILL && timeout != nil)
    }

    /// Each row: arguments, and a phrase the one-line error must contain.
    static func badInputs(_ dir: String) throws -> [([String], String)] {
        let fm = FileManager.default
        fm.createFile(atPath: "\(dir)/empty.txt", contents: Data())
        fm.createFile(atPath: "\(dir)/short.txt", contents: Data("to be".utf8))
        fm.createFile(atPath: "\(dir)/latin1.txt", contents: Data("caf".utf8) + Data([0xE9]) + Data(" au lait\n".utf8))
        fm.createFile(atPath: "\(dir)/notes.txt", contents: Data("hello there\n".utf8))
        try fm.createDirectory(atPath: "\(dir)/folder", withIntermediateDirectories: true)
        let out = "\(dir)/m.safetensors"
        return [
            (["train", "lm", "--bogus", "--text", "x", "--steps", "1", "--out", out], "Unknown option '--bogus'"),
            (["train", "lm", "--data", "x.txt", "--steps", "1"], "Missing expected argument '--out <out>'"),
            (["train", "lm", "--data", "a", "--text", "b", "--steps", "1", "--out", out], "give exactly one of --data"),
            (["train", "lm", "--text", "hello", "--out", out], "give a training budget"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--lr=-1", "--out", out], "--lr must be positive"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--batch", "0", "--out", out], "--batch must be at least 1, got 0"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--dropout", "1.5", "--out", out], "--dropout must lie in [0, 1)"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--schedule", "sometimes", "--out", out], "The value 'sometimes' is invalid for '--schedule <schedule>': expected constant"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--cell", "transformer", "--out", out], "transformer"),
            (["train", "lm", "--data", "\(dir)/missing.txt", "--steps", "1", "--out", out], "missing.txt: no such file"),
            (["train", "lm", "--data", "\(dir)/folder", "--steps", "1", "--out", out], "is a directory"),
            (["train", "lm", "--data", "\(dir)/empty.txt", "--steps", "1", "--out", out], "empty.txt: the file is empty"),
            (["train", "lm", "--data", "\(dir)/latin1.txt", "--steps", "1", "--out", out], "latin1.txt:1: invalid UTF-8 at byte offset 3"),
            (["train", "lm", "--data", "\(dir)/short.txt", "--steps", "1", "--out", out], "short.txt: has 4 tokens, fewer than the 2080"),
            (["train", "lm", "--data", "nosuchset", "--steps", "1", "--out", out], "not a known data set (tinyshakespeare"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--batch", "1", "--seq", "4", "--out", "\(dir)/nofolder/m.safetensors"], "does not exist"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--batch", "1", "--seq", "4", "--out", "\(dir)/folder"], "it is a directory"),
            (["train", "lm", "--text", "hello", "--steps", "1", "--batch", "1", "--seq", "4", "--resume", "--out", "\(dir)/fresh.safetensors"], "no such file; train without --resume first"),
            (["sample", "--model", "\(dir)/missing.safetensors"], "missing.safetensors: cannot read: no such file"),
            (["sample", "--model", "\(dir)/notes.txt"], "notes.txt: header length"),
            (["sample", "--model", "\(dir)/hello.safetensors", "--temperature", "0"], "--temperature must be positive"),
            (["sample", "--model", "\(dir)/hello.safetensors", "--prime", "hex"], "contains \"x\", which the model's vocabulary does not have"),
            (["sample", "--model", "\(dir)/classifier.safetensors"], "holds a sequence classifier, but this command needs a language model"),
            (["predict", "--model", "\(dir)/hello.safetensors", "\(dir)/notes.txt"], "holds a language model, but this command needs a sequence classifier or sequence tagger"),
            (["evaluate", "--model", "\(dir)/hello.safetensors", "--data", "\(dir)/missing.txt"], "missing.txt: no such file"),
            (["evaluate", "--model", "\(dir)/hello.safetensors", "--data", "\(dir)/notes.txt"], "notes.txt:1: expected tokens the model knows, found \" \""),
            (["inspect", "--model", "\(dir)/empty.txt"], "file is truncated"),
            (["data", "path", "nosuchset"], "unknown data set 'nosuchset'"),
            (["bench", "nosuchbench"], "unknown benchmark 'nosuchbench'"),
            (["bench", "--threads", "0", "charlm-rnn-2x256"], "--threads must be at least 1"),
        ]
    }

    @Test func helloTrainsAndSamplesHello() throws {
        let dir = Self.tempDir()
        let train = try Self.rnn(["train", "lm", "--text", "hello", "--layers", "1", "--hidden", "16", "--seq", "4", "--batch", "1",
                                  "--steps", "150", "--lr", "0.02", "--out", "\(dir)/hello.safetensors"])
        #expect(train.status == 0, "\(train.stderr)")
        let sample = try Self.rnn(["sample", "--model", "\(dir)/hello.safetensors", "--prime", "h", "--length", "4", "--argmax"])
        #expect(sample.status == 0 && sample.stdout == "hello\n", "\(sample.stdout) \(sample.stderr)")
        // The last checkpoint (the resume file) samples too.
        let last = try Self.rnn(["sample", "--model", "\(dir)/hello.resume.safetensors", "--prime", "h", "--length", "4", "--argmax"])
        #expect(last.status == 0 && last.stdout == "hello\n", "\(last.stdout) \(last.stderr)")
    }

    @Test func everyBadInputGetsOneClearLineAndNonZeroExit() throws {
        let dir = Self.tempDir()
        // A real language model and a checkpoint of another kind, for the sample rows.
        try Self.rnn(["train", "lm", "--text", "hello", "--layers", "1", "--hidden", "8", "--seq", "4", "--batch", "1",
                      "--steps", "2", "--out", "\(dir)/hello.safetensors"])
        try Checkpoint.write(kind: "sequence_classifier", config: "{}", vocabulary: nil, tensors: [], to: "\(dir)/classifier.safetensors")
        for (args, phrase) in try Self.badInputs(dir) {
            let r = try Self.rnn(args, environment: ["RNN_DATA_DIR": dir])
            #expect(r.status != 0, "\(args) exited 0")
            #expect(r.stderr.contains(phrase), "\(args): stderr was \(r.stderr.debugDescription)")
            #expect(!r.stderr.contains("Backtrac") && !r.stderr.contains("Fatal error"), "\(args) crashed: \(r.stderr)")
        }
    }

    @Test func ctrlCWritesACheckpointAndResumeContinues() throws {
        let dir = Self.tempDir()
        let text = String(repeating: "It is a truth universally acknowledged, that a single man in possession of a good fortune. ", count: 40)
        try text.write(toFile: "\(dir)/book.txt", atomically: true, encoding: .utf8)
        let args = ["train", "lm", "--data", "\(dir)/book.txt", "--layers", "1", "--hidden", "32", "--seq", "16", "--batch", "4",
                    "--log-every", "5", "--out", "\(dir)/book.safetensors"]
        let first = try Self.rnn(args + ["--steps", "100000"], interruptAfter: "step 20 ")
        #expect(first.status == 130, "exit \(first.status): \(first.stderr)")
        #expect(first.stdout.contains("interrupted: checkpoint written"))
        let model = try LanguageModel(contentsOf: "\(dir)/book.safetensors")
        #expect(model.config.hiddenSize == 32)
        let state = try Checkpoint.read("\(dir)/book.resume.safetensors").metadata["training_state"] ?? ""
        let stepText = state.split(separator: ",").first { $0.contains("\"step\"") } ?? ""
        let stoppedAt = Int(stepText.split(separator: ":").last ?? "") ?? 0
        #expect(stoppedAt >= 20)
        let second = try Self.rnn(args + ["--steps", "\(stoppedAt + 10)", "--resume"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resuming from \(dir)/book.resume.safetensors at step \(stoppedAt)"))
        #expect(second.stdout.contains("trained \(stoppedAt + 10) steps"))
    }

    @Test func sigkillAtRandomMomentsNeverLeavesABrokenCheckpoint() throws {
        let dir = Self.tempDir()
        let text = String(repeating: "Whan that Aprille with his shoures soote the droghte of March hath perced to the roote. ", count: 40)
        try text.write(toFile: "\(dir)/tales.txt", atomically: true, encoding: .utf8)
        let common = ["train", "lm", "--data", "\(dir)/tales.txt", "--layers", "1", "--hidden", "48", "--seq", "16", "--batch", "4",
                      "--validate-every", "3", "--log-every", "1000", "--out", "\(dir)/tales.safetensors"]
        let args = common + ["--steps", "100000"]
        var rng = SeededRNG(seed: 5)
        var lastStep = 0
        for round in 0..<5 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = args + (round == 0 ? [] : ["--resume"])
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            // Kill at a random moment after this round has written a checkpoint of its own.
            let resumePath = "\(dir)/tales.resume.safetensors"
            let before = Self.modificationDate(resumePath)
            try p.run()
            #expect(Self.waitUntil { Self.modificationDate(resumePath).map { $0 != before } ?? false }, "round \(round): no checkpoint written")
            usleep(UInt32(rng.nextInt(below: 600_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal)
            // Whatever is on disk is whole: both files load.
            let resume = try Checkpoint.read("\(dir)/tales.resume.safetensors")
            _ = try LanguageModel(checkpoint: resume, ignoringPrefixes: ["optimizer.", "carried."])
            _ = try LanguageModel(contentsOf: "\(dir)/tales.safetensors")
            let state = try JSONDecoder().decode(TrainingProgress.self, from: Data(resume.metadata["training_state"]!.utf8))
            #expect(state.step >= lastStep, "round \(round): the checkpoint went back from step \(lastStep) to \(state.step)")
            lastStep = state.step
        }
        #expect(lastStep > 0)
        let done = try Self.rnn(common + ["--steps", "\(lastStep + 6)", "--resume"])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("at step \(lastStep)") && done.stdout.contains("trained \(lastStep + 6) steps"), "\(done.stdout)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func sigtermAlsoWritesACheckpointAndExits() throws {
        let dir = Self.tempDir()
        try String(repeating: "to be or not to be, that is the question. ", count: 60).write(toFile: "\(dir)/q.txt", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["train", "lm", "--data", "\(dir)/q.txt", "--layers", "1", "--hidden", "16", "--seq", "8", "--batch", "2",
                       "--steps", "100000", "--log-every", "1000", "--out", "\(dir)/q.safetensors"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        // Signal once training has started: the first step's line is out.
        var text = ""
        while !text.contains("step 1 ") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGTERM)
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130 && text.contains("interrupted: checkpoint written"), "\(p.terminationStatus) \(text)")
        _ = try LanguageModel(contentsOf: "\(dir)/q.safetensors")
    }

    @Test func infoAndHelpWork() throws {
        let info = try Self.rnn(["info"])
        #expect(info.status == 0 && info.stdout.contains("gemm backend per product") && info.stdout.contains("threads:"))
        let help = try Self.rnn(["train", "lm", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--minutes"))
    }

    @Test func benchPrintsTheDocumentedJSONFields() throws {
        let r = try Self.rnn(["bench", "--json", "--threads", "1", "--seconds", "0.05", "charlm-rnn-2x256", "generate-lstm-1x128"])
        #expect(r.status == 0, "\(r.stderr)")
        let objects = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 2)
        for key in ["config", "mode", "tokens_per_s", "gflops", "peak_rss_mb"] { #expect(objects.allSatisfy { $0[key] != nil }, "\(key)") }
        #expect(objects[0]["step_ms"] != nil && objects[1]["token_us"] != nil)
        #expect((objects[0]["tokens_per_s"] as? Double ?? 0) > 0)
        #expect(objects.allSatisfy { $0["threads"] as? Int == 1 }, "--threads 1 is applied and reported")
    }
}
