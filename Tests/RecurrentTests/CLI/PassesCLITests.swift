import Foundation
import Testing
@testable import Recurrent

/// Passes that train nothing, through the built `rnn`: Ctrl-C during a
/// validation pass (a real signal, waiting for what the process writes) and
/// the progress of `rnn evaluate` (plain output when not a terminal, a
/// redrawn line on a pseudo-terminal).
@Suite(.serialized) struct PassesCLITests {
    /// A language model's training arguments whose validation pass takes seconds (a long validation text).
    static func longValidation(_ dir: String, out: String) throws -> [String] {
        let data = try TrainingLoopCLITests.corpus(dir, repeats: 20)
        let valid = dir + "/valid.txt"
        try String(repeating: "It is a truth universally acknowledged, that a single man in possession of a good fortune. ", count: 600)
            .write(toFile: valid, atomically: true, encoding: .utf8)
        return ["train", "lm", "--data", data, "--valid", valid, "--layers", "1", "--hidden", "32", "--seq", "16", "--batch", "2",
                "--validate-every", "2", "--steps", "2", "--out", out]
    }

    @Test func ctrlCDuringAValidationPassAbandonsItExitsAtOnceAndTheResumedRunValidatesFirstAndIsExact() throws {
        let dir = CLITests.tempDir()
        let args = try Self.longValidation(dir, out: dir + "/m.safetensors")
        let run = try TrainingLoopCLITests.Running(args)
        #expect(run.waitFor("step 2  epoch 1  validating"), "\(run.stdout)\(run.stderr)")
        let sent = Date()
        run.signal(SIGINT)
        #expect(run.waitFor("stopping: writing the checkpoint", inStderr: true, seconds: 10), "said at once: \(run.stderr)")
        let status = run.finish()
        let took = Date().timeIntervalSince(sent)
        #expect(status == 130 && took < 5, "exit \(status) after \(took) s")
        #expect(run.stdout.contains("step 2: validation stopped after "), "\(run.stdout)")
        #expect(run.stdout.contains("the resumed run validates first"), "\(run.stdout)")
        #expect(!run.stdout.contains("valid loss"), "nothing of the abandoned pass: \(run.stdout)")
        #expect(run.stdout.contains("interrupted: checkpoint written; continue with the same command and --resume"), "\(run.stdout)")

        let resumed = try CLITests.rnn(args + ["--resume"], timeout: 300)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("step 2  epoch 1  valid loss"), "the pending validation ran: \(resumed.stdout)")
        #expect(!resumed.stdout.contains("nothing to train"), "\(resumed.stdout)")

        // The same as a run never stopped.
        let straight = try CLITests.rnn(try Self.longValidation(dir, out: dir + "/straight.safetensors"), timeout: 300)
        #expect(straight.status == 0, "\(straight.stderr)")
        let a = try Checkpoint.read(dir + "/m.safetensors"), b = try Checkpoint.read(dir + "/straight.safetensors")
        #expect(a.tensors == b.tensors && a.metadata["valid_loss"] == b.metadata["valid_loss"] && a.metadata["valid_loss"] != nil)
    }

    /// A tiny character language model and a text to evaluate it on.
    static func languageModel(_ dir: String) throws -> (model: String, text: String) {
        let text = try TrainingLoopCLITests.corpus(dir, repeats: 10)
        let model = dir + "/lm.safetensors"
        let r = try CLITests.rnn(["train", "lm", "--data", text, "--layers", "1", "--hidden", "8", "--seq", "8", "--batch", "2",
                                  "--steps", "2", "--out", model], timeout: 120)
        guard r.status == 0 else { throw CLIUsabilityTests.UserFacingFailure("lm: \(r.stderr)") }
        return (model, text)
    }

    @Test func evaluateWritesPlainOutputWhenNotATerminal() throws {
        let dir = CLITests.tempDir()
        let lm = try Self.languageModel(dir)
        let r = try CLITests.rnn(["evaluate", "--model", lm.model, "--data", lm.text], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[0].hasPrefix("\(lm.text): loss ") && lines[0].hasSuffix(" characters") && lines[1].isEmpty, "\(r.stdout)")
        #expect(!r.stdout.contains("\r") && !r.stdout.contains("\u{1B}") && !r.stdout.contains("evaluating"), "\(r.stdout.debugDescription)")
        let c = try CLIUsabilityTests.shared.get()
        let classified = try CLITests.rnn(["evaluate", "--model", c.classifier, "--data", c.dir + "/reviews.txt", "--json"], timeout: 120)
        #expect(classified.status == 0 && classified.stdout.hasPrefix("{\"loss\":") && !classified.stdout.contains("\r"), "\(classified.stdout)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) (util-linux) for a pseudo-terminal"))
    func evaluateOnATerminalShowsARedrawnProgressLineThenErasesIt() throws {
        let dir = CLITests.tempDir()
        let lm = try Self.languageModel(dir)
        // script(1) runs the command on a pseudo-terminal and copies what it writes.
        let command = [CLITests.binary, "evaluate", "--model", lm.model, "--data", lm.text].map { "'\($0)'" }.joined(separator: " ")
        let r = try CLITests.rnn(["-qec", command, "/dev/null"], environment: ["COLUMNS": "100"], timeout: 120, launcher: "/usr/bin/script")
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let out = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(out.contains("\r[") && out.contains("]  evaluating "), "a status line: \(out.debugDescription)")
        // Erased before the result, which starts on a clean line.
        #expect(out.contains("\r\u{1B}[K\(lm.text): loss "), "\(out.debugDescription)")
    }
}
