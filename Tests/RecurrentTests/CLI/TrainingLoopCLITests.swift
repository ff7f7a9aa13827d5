import Foundation
import Testing
@testable import Recurrent

/// `rnn train` as a person runs it: Ctrl-C (once, then twice), refusing to
/// replace another run, resuming a finished run, `--init-from`, and what the
/// checkpoint records about how it was made. Real processes; each wait is for
/// something the process writes, never a fixed sleep.
@Suite(.serialized) struct TrainingLoopCLITests {
    /// A running `rnn`, its standard output and error read as they come.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var out = Data(), err = Data()
        private let done = DispatchGroup()

        init(_ args: [String]) throws {
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = args
            let o = Pipe(), e = Pipe()
            process.standardOutput = o
            process.standardError = e
            try process.run()
            for (pipe, isOut) in [(o, true), (e, false)] {
                done.enter()
                Thread.detachNewThread { [self] in
                    while true {
                        let chunk = pipe.fileHandleForReading.availableData
                        if chunk.isEmpty { break }
                        lock.withLock { if isOut { out.append(chunk) } else { err.append(chunk) } }
                    }
                    done.leave()
                }
            }
        }

        var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
        var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

        /// Waits until `text` shows in standard output (or error); false after `seconds`.
        func waitFor(_ text: String, inStderr: Bool = false, seconds: Double = 120) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (inStderr ? stderr : stdout).contains(text) { return true }
                if !process.isRunning && done.wait(timeout: .now()) == .success { return (inStderr ? stderr : stdout).contains(text) }
                usleep(10_000)
            }
            return false
        }

        func signal(_ s: Int32) { kill(process.processIdentifier, s) }

        /// Waits for the end (killing it after `seconds`); returns its status.
        func finish(seconds: Double = 120) -> Int32 {
            if done.wait(timeout: .now() + seconds) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func corpus(_ dir: String, repeats: Int = 40) throws -> String {
        let path = dir + "/book.txt"
        try String(repeating: "It is a truth universally acknowledged, that a single man in possession of a good fortune. ", count: repeats)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func ctrlCWritesTheCheckpointAtOnceWithoutValidatingAndSaysSo() throws {
        let dir = CLITests.tempDir()
        let data = try Self.corpus(dir)
        // Validation only every 100000 steps: a stop must not run one first.
        let run = try Running(["train", "lm", "--data", data, "--layers", "1", "--hidden", "16", "--seq", "8", "--batch", "2",
                               "--validate-every", "100000", "--log-every", "1", "--steps", "100000", "--out", dir + "/m.safetensors"])
        #expect(run.waitFor("step 3 "), "\(run.stdout)\(run.stderr)")
        let sent = Date()
        run.signal(SIGINT)
        #expect(run.waitFor("stopping: writing the checkpoint", inStderr: true, seconds: 10), "said at once: \(run.stderr)")
        let status = run.finish()
        let took = Date().timeIntervalSince(sent)
        #expect(status == 130 && took < 10, "exit \(status) after \(took) s")
        #expect(run.stdout.contains("interrupted: checkpoint written; continue with the same command and --resume"), "\(run.stdout)")
        #expect(!run.stdout.contains("valid loss") && !run.stdout.contains("validating"), "no validation pass: \(run.stdout)")
        #expect(!run.stdout.contains("(0 epochs)") && run.stdout.contains("(epoch 1, "), "\(run.stdout)")
        _ = try LanguageModel(contentsOf: dir + "/m.safetensors")
        _ = try Checkpoint.read(dir + "/m.resume.safetensors")
    }

    @Test func aSecondCtrlCQuitsAtOnce() throws {
        let dir = CLITests.tempDir()
        let data = try Self.corpus(dir, repeats: 20)
        // One long step, seconds in a debug build (a first Ctrl-C lets the step in progress finish): the second Ctrl-C lands in it.
        let run = try Running(["train", "lm", "--data", data, "--layers", "2", "--hidden", "160", "--seq", "400", "--batch", "4",
                               "--steps", "100000", "--out", dir + "/m.safetensors"])
        #expect(run.waitFor("training: "), "\(run.stdout)\(run.stderr)")
        run.signal(SIGINT)
        #expect(run.waitFor("stopping", inStderr: true, seconds: 10), "\(run.stderr)")
        let sent = Date()
        run.signal(SIGINT)
        let status = run.finish()
        #expect(status == 130 && Date().timeIntervalSince(sent) < 5, "exit \(status)")
        #expect(run.stderr.contains("quit at once; the last checkpoint written is intact"), "\(run.stderr)")
        #expect(!run.stdout.contains("trained "), "it did not wait for the step: \(run.stdout)")
    }

    @Test func anotherRunsCheckpointIsKeptResumeSaysWhenDoneAndInitFromFineTunes() throws {
        let dir = CLITests.tempDir()
        let data = try Self.corpus(dir, repeats: 10)
        let out = dir + "/m.safetensors"
        let common = ["train", "lm", "--data", data, "--layers", "1", "--hidden", "16", "--seq", "8", "--batch", "2"]
        let first = try CLITests.rnn(common + ["--steps", "3", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("trained 3 steps (epoch 1, "), "1-based epochs: \(first.stdout)")

        // Forgetting --resume: refused, both files untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let again = try CLITests.rnn(common + ["--steps", "3", "--out", out])
        #expect(again.status == 64, "\(again.stderr)")
        #expect(again.stderr.contains("\(out) already exists (from an earlier run); continue that run with --resume, or give --force to train afresh and replace both files"),
                "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)

        // Resuming the finished run says so and writes nothing.
        let done = try CLITests.rnn(common + ["--steps", "3", "--out", out, "--resume"])
        #expect(done.status == 0 && done.stdout.contains("nothing to train: this run already finished at step 3"), "\(done.stdout)\(done.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)

        // --force replaces it.
        let forced = try CLITests.rnn(common + ["--steps", "2", "--out", out, "--force"])
        #expect(forced.status == 0 && forced.stdout.contains("trained 2 steps"), "\(forced.stderr)")

        // --init-from: the weights, a new run.
        let tuned = try CLITests.rnn(common + ["--steps", "2", "--lr", "1e-3", "--init-from", out, "--out", dir + "/tuned.safetensors"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stdout.contains("initialised the weights from \(out) (step 2 of its run); new optimizer, schedule and step count"), "\(tuned.stdout)")
        #expect(tuned.stdout.contains("trained 2 steps"))
        let mismatch = try CLITests.rnn(common.map { $0 == "16" ? "8" : $0 } + ["--steps", "2", "--init-from", out, "--out", dir + "/other.safetensors"])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("\(out): cannot initialise from it: its model differs from the one asked for: ")
                && mismatch.stderr.contains("hiddenSize is 16 in the file, 8 now"),
                "\(mismatch.stderr)")

        // The checkpoint records how it was made; inspect shows it.
        let inspect = try CLITests.rnn(["inspect", "--model", dir + "/tuned.safetensors"])
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("command_line: rnn train lm --data \(data) --layers 1"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("--init-from \(out) --out \(dir)/tuned.safetensors"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("data: {\"--data\":\"\(data)\"}"), "\(inspect.stdout)")
    }

    @Test func trainGenerateRecordsItsDataAndNeverWritesOverIt() throws {
        let dir = CLITests.tempDir()
        let data = "\(dir)/words.tsv", text = "text\tlabel\ncat\ta\ndog\tb\ncat\ta\ndog\tb\n"
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        let common = ["train", "generate", "--data", data, "--valid-split", "0", "--layers", "1", "--hidden", "8", "--steps", "2"]
        let over = try CLITests.rnn(common + ["--out", data])
        #expect(over.status == 1 && over.stderr.contains("\(data): cannot write the checkpoint here: it is this command's --data"), "\(over.stderr)")
        #expect(try String(contentsOfFile: data, encoding: .utf8) == text)
        let ok = try CLITests.rnn(common + ["--out", "\(dir)/g.safetensors"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try Checkpoint.read("\(dir)/g.safetensors").metadata["data"] == "{\"--data\":\"\(data)\"}")
    }

    @Test func conflictingRunOptionsAreUsageErrors() throws {
        let dir = CLITests.tempDir()
        let base = ["train", "lm", "--text", "hello", "--steps", "1", "--out", dir + "/m.safetensors"]
        for (extra, phrase) in [(["--resume", "--force"], "give --resume (continue the run at --out) or --force (replace it), not both"),
                                (["--resume", "--init-from", dir + "/x.safetensors"], "give --resume (continue the run at --out) or --init-from (new run from other weights), not both")] {
            let r = try CLITests.rnn(base + extra)
            #expect(r.status == 64 && r.stderr.contains(phrase), "\(extra): \(r.stderr)")
        }
    }
}
