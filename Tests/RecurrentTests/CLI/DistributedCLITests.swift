import Foundation
import Testing
@testable import Recurrent

/// `rnn train lm --distributed`: refused outside an MPI launch; under
/// `mpirun -np 2` on loopback (when this rnn has MPI and mpirun exists), both
/// ranks end bitwise equal and within 1e-6 of one process with the whole batch.
@Suite(.serialized) struct DistributedCLITests {
    /// `mpirun` on the PATH, or nil.
    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether the built rnn says it has MPI (built with RNN_MPI=1) and mpirun exists.
    static let mpiAvailable: Bool = {
        guard mpirun != nil, let info = try? CLITests.rnn(["info"], timeout: 120) else { return false }
        return info.stdout.contains("mpi: built in")
    }()

    static let launch = ["-np", "2", "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"]

    static func trainArguments(_ out: String) -> [String] {
        ["train", "lm", "--text", TrainerTests.text, "--hidden", "16", "--layers", "2", "--seq", "8", "--batch", "4", "--steps", "5",
         "--optimizer", "sgd", "--momentum", "0.9", "--lr", "0.5", "--clip", "0.3", "--log-every", "1", "--out", out]
    }

    @Test func distributedOutsideAnMPILaunchIsAUsageError() throws {
        let dir = CLITests.tempDir()
        let r = try CLITests.rnn(Self.trainArguments(dir + "/m.safetensors") + ["--distributed"], timeout: 120)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--distributed"), "\(r.stderr)")
        #expect(r.stderr.contains(Self.mpiAvailable ? "needs an MPI launch" : "built without MPI"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
    }

    @Test(.enabled(if: mpiAvailable, "needs Open MPI (mpirun) and rnn built with RNN_MPI=1"))
    func twoRanksUnderMpirunAreBitwiseEqualAndMatchOneProcess() throws {
        let dir = CLITests.tempDir()
        let single = try CLITests.rnn(Self.trainArguments(dir + "/single.safetensors"), timeout: 120)
        #expect(single.status == 0, "\(single.stderr)")
        let r = try CLITests.rnn(Self.launch + [CLITests.binary] + Self.trainArguments(dir + "/two.safetensors") + ["--distributed"],
                                 timeout: 120, launcher: Self.mpirun)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("ranks agree: the parameters are bitwise equal on all 2 ranks"), "\(r.stdout)")
        #expect(r.stdout.contains("distributed: 2 ranks"))
        // Progress from rank 0 only: the summary once (mpirun may give the ranks a terminal, so the
        // step lines can be one redrawn status line rather than a line per step).
        #expect(r.stdout.components(separatedBy: "trained 5 steps").count == 2, "\(r.stdout)")
        #expect(r.stdout.components(separatedBy: "distributed: 2 ranks").count == 2, "\(r.stdout)")
        let a = try Checkpoint.read(dir + "/single.safetensors"), b = try Checkpoint.read(dir + "/two.safetensors")
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (name, x) in a.tensors {
            guard let y = b.tensors[name] else { continue }
            let scale = x.scalars.map { abs($0) }.max() ?? 0
            #expect(x.maxAbsDifference(y) <= 1e-6 * max(scale, 1e-3), "\(name): \(x.maxAbsDifference(y))")
        }

        // The resume file of one process cannot continue on two ranks: every rank says so, nothing hangs.
        let resumed = try CLITests.rnn(Self.launch + [CLITests.binary] + Self.trainArguments(dir + "/single.safetensors") + ["--distributed", "--resume"],
                                       timeout: 120, launcher: Self.mpirun)
        #expect(resumed.status != 0)
        #expect(!resumed.timedOut)
        #expect(resumed.stderr.components(separatedBy: "written by a run on 1 rank, this run has 2").count == 3, "\(resumed.stderr)")

        // Rank 0 cannot write its checkpoint there: it says why, rank 1 says it stops because of rank 0.
        let nowhere = try CLITests.rnn(Self.launch + [CLITests.binary] + Self.trainArguments(dir + "/missing/m.safetensors") + ["--distributed"],
                                       timeout: 120, launcher: Self.mpirun)
        #expect(nowhere.status != 0 && !nowhere.timedOut)
        #expect(nowhere.stderr.contains("rank 0: \(dir)/missing/m.safetensors: cannot write the checkpoint here"), "\(nowhere.stderr)")
        #expect(nowhere.stderr.contains("rank 1: stopping because rank 0 could not start training"), "\(nowhere.stderr)")
    }

    @Test(.enabled(if: mpiAvailable, "needs Open MPI (mpirun) and rnn built with RNN_MPI=1"))
    func taggerSplitByWordsUnderMpirunMatchesOneProcess() throws {
        let dir = CLITests.tempDir()
        // Sentences of 1 to 6 words: each batch is split between the ranks by words.
        var conllu = ""
        let words = [("the", "DET"), ("dog", "NOUN"), ("runs", "VERB"), ("a", "DET"), ("cat", "NOUN"), ("sleeps", "VERB")]
        for n in [3, 1, 6, 2, 5, 4, 2, 6, 1, 3] {
            for i in 0..<n { conllu += "\(i + 1)\t\(words[(i + n) % 6].0)\t_\t\(words[(i + n) % 6].1)\t_\t_\t0\tdep\t_\t_\n" }
            conllu += "\n"
        }
        try conllu.write(toFile: dir + "/t.conllu", atomically: true, encoding: .utf8)
        func arguments(_ out: String) -> [String] {
            ["train", "tag", "--data", dir + "/t.conllu", "--hidden", "6", "--embedding", "5", "--char-hidden", "3", "--char-embedding", "3",
             "--batch", "5", "--steps", "4", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "0.3", "--out", out]
        }
        try Self.expectTwoRanksMatchOneProcess(arguments, dir: dir)
    }

    /// Trains `arguments(out)` in one process (`dir/single.safetensors`) and on 2 ranks under mpirun
    /// (`dir/two.safetensors`): the ranks agree bitwise and the models are within 1e-6. Returns the 2-rank run.
    @discardableResult
    static func expectTwoRanksMatchOneProcess(_ arguments: (String) -> [String], dir: String,
                                              sourceLocation: SourceLocation = #_sourceLocation) throws -> CLITests.Result {
        let single = try CLITests.rnn(arguments(dir + "/single.safetensors"), timeout: 120)
        #expect(single.status == 0, "\(single.stderr)", sourceLocation: sourceLocation)
        let r = try CLITests.rnn(launch + [CLITests.binary] + arguments(dir + "/two.safetensors") + ["--distributed"],
                                 timeout: 120, launcher: mpirun)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.contains("ranks agree: the parameters are bitwise equal on all 2 ranks"), "\(r.stdout)", sourceLocation: sourceLocation)
        let a = try Checkpoint.read(dir + "/single.safetensors"), b = try Checkpoint.read(dir + "/two.safetensors")
        for (name, x) in a.tensors {
            let y = try #require(b.tensors[name], sourceLocation: sourceLocation)
            let scale = x.scalars.map { abs($0) }.max() ?? 0
            #expect(x.maxAbsDifference(y) <= 1e-6 * max(scale, 1e-3), "\(name): \(x.maxAbsDifference(y))", sourceLocation: sourceLocation)
        }
        return r
    }
}
