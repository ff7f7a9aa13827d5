import Foundation
import Testing
@testable import Recurrent

/// One test per class of issue 13 (traps on numbers, traps on files, files
/// destroyed, silently wrong, found late), plus resume with changed options;
/// docs/bad-inputs.md rows B1... point here.
@Suite(.serialized) struct NeverCrashTests {
    static let book = String(repeating: "It is a truth universally acknowledged, that a single man in possession of a good fortune. ", count: 12)

    /// A directory with book.txt and a small trained language model (hello.safetensors and its resume file).
    static func workspace() throws -> (dir: String, train: [String]) {
        let dir = CLITests.tempDir()
        try book.write(toFile: "\(dir)/book.txt", atomically: true, encoding: .utf8)
        let train = ["train", "lm", "--data", "\(dir)/book.txt", "--layers", "1", "--hidden", "8", "--embedding", "8", "--seq", "8", "--batch", "4",
                     "--log-every", "100", "--validate-every", "2"]
        let r = try CLITests.rnn(train + ["--steps", "4", "--out", "\(dir)/hello.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, train)
    }

    static func expectRefused(_ r: CLITests.Result, status: Int32, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.signaled && r.status == status, "exit \(r.status), expected \(status): \(r.stderr.suffix(500))", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(phrase), "stderr: \(r.stderr.suffix(500))", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Backtrac") && !r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    /// A copy of `checkpoint` with metadata `key`'s JSON object edited.
    static func edited(_ path: String, to out: String, key: String, _ edit: (inout [String: Any]) -> Void,
                       tensors: (([String: Tensor]) -> [String: Tensor])? = nil) throws {
        let ck = try Checkpoint.read(path)
        var object = try JSONSerialization.jsonObject(with: Data((ck.metadata[key] ?? "{}").utf8)) as? [String: Any] ?? [:]
        edit(&object)
        var metadata = ck.metadata
        metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
        let t = tensors?(ck.tensors) ?? ck.tensors
        try SafeTensorsFile.write(t.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata, to: out)
    }

    // MARK: - Traps on numbers

    @Test func numbersThatTrappedAreUsageErrors() throws {
        let (dir, train) = try Self.workspace()
        let out = ["--out", "\(dir)/n.safetensors", "--steps", "1"]
        let cases: [([String], [String: String], String)] = [
            (["evaluate", "--model", "\(dir)/hello.safetensors", "--data", "\(dir)/book.txt", "--seq", "0"], [:], "--seq must be at least 1, got 0"),
            (["evaluate", "--model", "\(dir)/hello.safetensors", "--data", "\(dir)/book.txt", "--seq=-1"], [:], "--seq must be at least 1, got -1"),
            (train + out + ["--minutes", "1e300"], [:], "--minutes must be positive and at most 525600.0 (a year), got 1e+300"),
            (train + out + ["--momentum", "nan"], [:], "--momentum must be at least 0.0 and finite, got nan"),
            (train + out + ["--clip", "nan"], [:], "--clip must be at least 0.0 and finite (0 disables clipping), got nan"),
            (train + out + ["--lr", "inf"], [:], "--lr must be positive and finite, got inf"),
            (train + out + ["--hidden", "4611686018427387904"], [:], "describe a model of more parameters than can be counted"),
            (train + out + ["--batch", "9223372036854775807", "--seq", "9223372036854775807"], [:], "fewer than the 9223372036854775807 one training batch needs"),
            (["sample", "--model", "\(dir)/hello.safetensors", "--temperature", "inf"], [:], "--temperature must be positive and finite, got inf"),
            (["bench", "--seconds", "1e300", "generate-lstm-1x128"], [:], "--seconds must be positive and at most 3600.0 (an hour)"),
            (["info"], ["RNN_THREADS": "9223372036854775807"], "RNN_THREADS must be a whole number from 1 to 1024"),
            (["info"], ["RNN_BLAS": "mkl"], "RNN_BLAS=mkl: expected builtin, openblas or auto"),
            (["info"], ["RNN_CPU": "sse"], "RNN_CPU must be portable, avx2 or avx512, got 'sse'"),
        ]
        for (args, env, phrase) in cases {
            let r = try CLITests.rnn(args, environment: env)
            Self.expectRefused(r, status: phrase.contains("one training batch") ? 1 : 64, phrase)
        }
        // Found by the fuzzer: a classifier's --batch 2^63-1 overflowed the batch count; a batch now holds at most every example.
        try (0..<8).map { "\($0 % 2 == 0 ? "good" : "bad") day \($0)\t\($0 % 2 == 0 ? "pos" : "neg")" }.joined(separator: "\n")
            .write(toFile: "\(dir)/c.tsv", atomically: true, encoding: .utf8)
        let big = try CLITests.rnn(["train", "classify", "--data", "\(dir)/c.tsv", "--text-column", "1", "--label-column", "2", "--hidden", "4",
                                    "--batch", "9223372036854775807", "--steps", "2", "--out", "\(dir)/c.safetensors"])
        #expect(big.status == 0 && big.stdout.contains("1 batches per epoch"), "\(big.stderr)")
    }

    // MARK: - Traps on files

    @Test func checkpointsAndResumeFilesAreCheckedBeforeUse() throws {
        let (dir, train) = try Self.workspace()
        // A config asking for 10^9 hidden units or 10^6 layers: refused before allocation, against the file's own tensors.
        for (field, value) in [("hiddenSize", 1_000_000_000), ("layers", 1_000_000)] {
            try Self.edited("\(dir)/hello.safetensors", to: "\(dir)/big.safetensors", key: "config") { $0[field] = value }
            let r = try CLITests.rnn(["sample", "--model", "\(dir)/big.safetensors", "--length", "3"])
            Self.expectRefused(r, status: 1, "metadata 'config': describes a model of")
        }
        let resume = "\(dir)/hello.resume.safetensors"
        let cases: [(String, (inout [String: Any]) -> Void, (([String: Tensor]) -> [String: Tensor])?, String)] = [
            ("training_state", { $0["batchIndex"] = 1 << 40 }, nil, "batch index 1099511627776 is outside"),
            ("training_state", { $0["step"] = -5 }, nil, "must lie in 0...2^53"),
            ("training_state", { $0["elapsedSeconds"] = -3 }, nil, "elapsed seconds -3.0 must be a finite number"),
            ("training_state", { $0["rngState"] = ["0", "0", "0", "0"] }, nil, "random-generator state is malformed"),
            ("training_options", { $0["seed"] = -1 }, nil, "its training options cannot be read"),
            ("training_state", { _ in }, { var t = $0; t["carried.h"] = Tensor.zeros([1, 3, 8]); return t }, "carried state 'carried.h' has shape [1, 3, 8]"),
            ("training_state", { _ in }, { var t = $0; t["carried.c"] = nil; return t }, "lacks 'carried.c'"),
        ]
        for (i, (key, edit, tensors, phrase)) in cases.enumerated() {
            let out = "\(dir)/case\(i).safetensors"
            try Self.edited(resume, to: TrainingOptions.resumePath(for: out), key: key, edit, tensors: tensors)
            let r = try CLITests.rnn(train + ["--steps", "6", "--resume", "--out", out])
            Self.expectRefused(r, status: 1, phrase)
        }
    }

    @Test func resumeAppliesOrRefusesEachChangedOption() throws {
        let (dir, train) = try Self.workspace()
        let out = ["--out", "\(dir)/hello.safetensors", "--resume"]
        for (extra, phrase) in [(["--seed", "9"], "it was trained with --seed 1, not 9"),
                                (["--optimizer", "sgd"], "it was trained with --optimizer adam, not sgd"),
                                (["--momentum", "0.5"], "it was trained with --momentum 0.0, not 0.5"),
                                (["--hidden", "9"], "hiddenSize is 8 in the file, 9 now")] {
            Self.expectRefused(try CLITests.rnn(train + out + ["--steps", "6"] + extra), status: 1, phrase)
        }
        // Another batch size, learning rate, clip and budget: applied, each with a line.
        var changed = train
        changed[changed.firstIndex(of: "--batch")! + 1] = "2"
        let r = try CLITests.rnn(changed + out + ["--steps", "7", "--lr", "0.01", "--clip", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        for line in ["resume: --lr 0.002 in the resume file, 0.01 now: applied from step 5",
                     "batches per epoch in the resume file", "the carried state restarts from zeros",
                     "resume: --steps 4 in the resume file, 7 now: applied", "resume: --clip 5.0 in the resume file, 1.0 now: applied",
                     "resuming from", "trained 7 steps"] {
            #expect(r.stdout.contains(line), "missing \(line.debugDescription) in \(r.stdout)")
        }
        let again = try CLITests.rnn(changed + out + ["--steps", "5", "--lr", "0.01", "--clip", "1"])
        #expect(again.status == 0 && again.stdout.contains("--steps 5 was already reached at step 7; nothing left to train"), "\(again.stdout)")
    }

    // MARK: - A user's files destroyed

    @Test func noOutputReplacesAnInputOrAFileItDidNotWrite() throws {
        let (dir, train) = try Self.workspace()
        let data = "\(dir)/book.txt"
        try "my notes\n".write(toFile: "\(dir)/notes.txt", atomically: true, encoding: .utf8)
        let records = #"{"text":"a fine day","label":"pos"}"# + "\n"
        try records.write(toFile: "\(dir)/dev.jsonl", atomically: true, encoding: .utf8)
        mkfifo("\(dir)/fifo", 0o644)
        symlink("\(dir)/notes.txt", "\(dir)/link.safetensors")
        link(data, "\(dir)/hard.safetensors")
        let cases: [([String], String)] = [
            (["--out", data], "\(data): cannot write the checkpoint here: it is this command's --data"),
            (["--out", "\(dir)/hard.safetensors"], "it is this command's --data"),
            (["--out", "\(dir)/m.safetensors", "--metrics", data], "cannot write the metrics here: it is this command's --data"),
            (["--out", "\(dir)/m.safetensors", "--valid", "\(dir)/notes.txt", "--metrics", "\(dir)/notes.txt"], "it is this command's --valid"),
            (["--out", "\(dir)/fifo"], "it is not a regular file (a FIFO, device or socket)"),
            (["--out", "/dev/null"], "/dev/null: cannot write the checkpoint here: it is not a regular file"),
            (["--out", "\(dir)/notes.txt"], "the file exists and is not a Recurrent checkpoint; refusing to replace it"),
            (["--out", "\(dir)/link.safetensors"], "it is a symbolic link"),
            (["--out", "\(dir)/m.safetensors", "--metrics", "\(dir)/notes.txt"], "is not a JSON-lines metrics file (its first line has no \"step\"); refusing to append"),
            // JSON lines that are the user's data, not metrics (before: the run appended its metrics to them).
            (["--out", "\(dir)/m.safetensors", "--metrics", "\(dir)/dev.jsonl"], "is not a JSON-lines metrics file (its first line has no \"step\")"),
            (["--out", "\(dir)/m.safetensors", "--metrics", "\(dir)/m.safetensors"], "it is also the checkpoint"),
        ]
        for (extra, phrase) in cases {
            Self.expectRefused(try CLITests.rnn(train + ["--steps", "1"] + extra), status: 1, phrase)
        }
        #expect(try String(contentsOfFile: data, encoding: .utf8) == Self.book)
        #expect(try String(contentsOfFile: "\(dir)/notes.txt", encoding: .utf8) == "my notes\n")
        #expect(try String(contentsOfFile: "\(dir)/dev.jsonl", encoding: .utf8) == records)
        var st = stat()
        #expect(lstat("\(dir)/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        #expect(stat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
        #expect(lstat("\(dir)/link.safetensors", &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
    }

    @Test func anotherRunsOutputIsLockedAndItsTemporaryFileKept() throws {
        let (dir, train) = try Self.workspace()
        let out = "\(dir)/shared.safetensors"
        do {
            let held = try OutputFile.lock(out, role: "the checkpoint")
            let r = try CLITests.rnn(train + ["--steps", "1", "--out", out])
            Self.expectRefused(r, status: 1, "another rnn run (process \(getpid())) is writing the checkpoint there")
            held.release()
        }
        // A temporary file of a live process stays; one of a finished process is cleared.
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run()
        done.waitUntilExit()
        let live = "\(dir)/.shared.safetensors.tmp-\(getpid())", dead = "\(dir)/.shared.safetensors.tmp-\(done.processIdentifier)"
        for path in [live, dead] { FileManager.default.createFile(atPath: path, contents: Data("partial".utf8)) }
        let r = try CLITests.rnn(train + ["--steps", "1", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: live), "the live run's temporary file was deleted")
        #expect(!FileManager.default.fileExists(atPath: dead), "a dead run's temporary file was left")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.shared.safetensors.lock"), "the lock file outlived the run")
    }

    // MARK: - Silently wrong

    @Test func tinyTemperatureSamplesTheArgmaxAndAHugeOneSpreads() throws {
        let task = TrainerTests.makeTask()
        let model = task.model
        let V = model.config.vocabularySize
        var logits = Tensor.zeros([1, V])
        for v in 0..<V { logits.scalars[v] = Float(v % 7) * 3 - 10 }
        logits.scalars[5] = 30
        var rng = SeededRNG(seed: 4)
        for t: Float in [1e-40, 1e-30, 1e-8] {
            let picks = (0..<200).map { _ in pickToken(logits, SamplingOptions(temperature: t), &rng) }
            #expect(picks.allSatisfy { $0 == 5 }, "temperature \(t): \(Set(picks))")
        }
        let spread = Set((0..<2000).map { _ in pickToken(logits, SamplingOptions(temperature: 1e30), &rng) })
        #expect(spread.count == V, "a huge temperature should reach every token, got \(spread.count) of \(V)")
        let topK = Set((0..<500).map { _ in pickToken(logits, SamplingOptions(temperature: 3e38, topK: 3), &rng) })
        #expect(topK.count == 3 && topK.contains(5))
    }

    @Test func sampleAtTinyTemperatureEqualsArgmaxAndJSONNeverSaysNaN() throws {
        let (dir, _) = try Self.workspace()
        let model = "\(dir)/hello.safetensors"
        let greedy = try CLITests.rnn(["sample", "--model", model, "--prime", "It", "--length", "60", "--argmax"])
        let tiny = try CLITests.rnn(["sample", "--model", model, "--prime", "It", "--length", "60", "--temperature", "1e-40"])
        #expect(greedy.status == 0 && tiny.status == 0 && greedy.stdout == tiny.stdout, "\(greedy.stdout.debugDescription) vs \(tiny.stdout.debugDescription)")
        // Weights so large that the logits overflow: the loss is not finite, and --json says null.
        let ck = try Checkpoint.read(model)
        var tensors = ck.tensors
        tensors["head.weight"] = Tensor(shape: tensors["head.weight"]!.shape,
                                        scalars: (0..<tensors["head.weight"]!.count).map { $0 % 2 == 0 ? 3e38 : -3e38 })
        try SafeTensorsFile.write(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: ck.metadata, to: "\(dir)/overflow.safetensors")
        let r = try CLITests.rnn(["evaluate", "--model", "\(dir)/overflow.safetensors", "--data", "\(dir)/book.txt", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["loss"] is NSNull && object?["bits_per_char"] is NSNull, "\(r.stdout)")
        #expect(!r.stdout.contains("nan"))
    }

    @Test func safetensorsWithADuplicateNameIsRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"kind":"x"},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(Data(header.utf8))
        bytes.append(Data(count: 8))
        #expect(throws: SafeTensorsError.malformedHeader(path: "d.safetensors", reason: "the name 'w' appears twice")) {
            try SafeTensorsFile(bytes: bytes, path: "d.safetensors")
        }
        // An escaped spelling of the same name is the same name.
        let escaped = header.replacingOccurrences(of: #"},"w":"#, with: #"},"\u0077":"#)
        var bytes2 = Data()
        withUnsafeBytes(of: UInt64(escaped.utf8.count).littleEndian) { bytes2.append(contentsOf: $0) }
        bytes2.append(Data(escaped.utf8))
        bytes2.append(Data(count: 8))
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: bytes2, path: "d.safetensors") }
        // Equal names inside nested objects are not top-level duplicates.
        #expect(SafeTensorsFile.duplicateKey(in: Data(#"{"a":{"x":1},"b":{"x":2}}"#.utf8)) == nil)
    }

    @Test func parameterCountFromTheConfigMatchesTheBuiltModel() throws {
        var rng = SeededRNG(seed: 1)
        for cell in CellKind.allCases {
            let lm = LanguageModelConfig(level: .char, cell: cell, vocabularySize: 11, embeddingSize: 5, hiddenSize: 7, layers: 3, dropout: 0)
            let words = Vocabulary(tokens: (0..<11).map { "t\($0)" })
            #expect(lm.parameterCount == LanguageModel(config: lm, vocabulary: words, rng: &rng).parameterCount)
            for bidirectional in [false, true] {
                let c = SequenceClassifierConfig(tokenizer: .word, lowercase: false, cell: cell, vocabularySize: 11, embeddingSize: 4, hiddenSize: 6,
                                                 layers: 2, bidirectional: bidirectional, dropout: 0, pooling: .max, labels: ["a", "b", "c"])
                #expect(c.parameterCount == SequenceClassifier(config: c, vocabulary: words, rng: &rng).parameterCount)
            }
            for charHidden in [0, 3] {
                let t = SequenceTaggerConfig(cell: cell, lowercase: false, wordVocabularySize: 11, wordEmbeddingSize: 4, charVocabularySize: 6,
                                             charEmbeddingSize: 2, charHiddenSize: charHidden, hiddenSize: 5, layers: 2, dropout: 0, tags: ["X", "Y"])
                let chars = Vocabulary(tokens: (0..<6).map { "c\($0)" })
                #expect(t.parameterCount == SequenceTagger(config: t, words: words, chars: chars, rng: &rng).parameterCount)
            }
        }
        let huge = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: 11, embeddingSize: 5, hiddenSize: 1 << 40, layers: 1 << 20, dropout: 0)
        #expect(huge.parameterCount == nil)
    }

    // MARK: - Found late

    @Test func outputProblemsAreFoundBeforeTraining() throws {
        let (dir, train) = try Self.workspace()
        try FileManager.default.createDirectory(atPath: "\(dir)/late.resume.safetensors", withIntermediateDirectories: true)
        for (out, phrase) in [("", "cannot write the checkpoint here: the path is empty"), ("\(dir)/newdir/", "the path ends in '/', which names a folder")] {
            let r = try CLITests.rnn(train + ["--steps", "1000", "--out", out])
            Self.expectRefused(r, status: 1, phrase)
            #expect(!r.stdout.contains("step "), "training started before the check: \(r.stdout)")
        }
        let folder = try CLITests.rnn(train + ["--steps", "1000", "--out", "\(dir)/late.safetensors"])
        Self.expectRefused(folder, status: 1, "late.resume.safetensors: cannot write the resume file here: it is a directory")
        #expect(!folder.stdout.contains("step "), "training started before the check: \(folder.stdout)")
        // /dev/full (a disk that is always full) as --metrics: refused up front, where the system has one.
        var st = stat()
        if stat("/dev/full", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR {
            let full = try CLITests.rnn(train + ["--steps", "1000", "--out", "\(dir)/full.safetensors", "--metrics", "/dev/full"])
            Self.expectRefused(full, status: 1, "/dev/full: cannot write the metrics here: it is not a regular file")
            #expect(!full.stdout.contains("step "))
        }
    }

    @Test func aMetricsWriteFailureStopsWithTheLastCheckpointIntact() throws {
        let dir = TrainerTests.tempDir()
        var options = TrainerTests.options(dir, steps: 40, validateEvery: 4)
        options.metricsPath = "\(dir)/metrics.jsonl"
        options.logEvery = 1
        let trainer = TrainerTests.quiet(try Trainer(task: TrainerTests.makeTask(), options: options))
        var lines = 0
        trainer.makeMetricsWriter = { path in
            MetricsWriter(path: path) { _ in
                lines += 1
                if lines > 9 { throw MetricsWriteError(reason: "No space left on device") }
            }
        }
        let resume = TrainingOptions.resumePath(for: options.output)
        #expect(throws: OutputFileError.writeFailed(path: options.metricsPath!, role: "the metrics", reason: "No space left on device", intact: resume)) {
            try trainer.run()
        }
        // Both files load, and the resume file holds the step where the disk filled.
        let state = try JSONDecoder().decode(TrainingProgress.self, from: Data(try Checkpoint.read(resume).metadata["training_state"]!.utf8))
        #expect(state.step >= 8 && state.step < 40, "\(state.step)")
        _ = try LanguageModel(contentsOf: options.output)
    }
}
