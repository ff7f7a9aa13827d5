import Foundation
import Testing
@testable import Recurrent

/// The message of the ``ConfigurationError`` that `check` throws, or nil when it returns.
func validationMessage(_ check: @autoclosure () throws(ConfigurationError) -> Void) -> String? {
    do { try check(); return nil } catch { return error.description }
}

/// One validation idiom: every settings type's `validate()` throws a
/// `ConfigurationError` naming the setting, the value and what was expected.
struct ConfigurationErrorTests {
    static func languageModel() -> LanguageModelConfig {
        LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: 10, embeddingSize: 4, hiddenSize: 4, layers: 1, dropout: 0)
    }

    @Test func eachCaseReadsAsOneSentence() {
        #expect(ConfigurationError.invalidValue(setting: "dropout", value: "1.5", expected: "must lie in [0, 1)").description
                == "dropout must lie in [0, 1), got 1.5")
        #expect(ConfigurationError.unmetRule(setting: "labels", expected: "must be distinct").description == "labels must be distinct")
        #expect(ConfigurationError.missing(setting: "a training budget", expected: "minutes, epochs or steps").description
                == "give a training budget: minutes, epochs or steps")
        #expect(ConfigurationError.invalidValue(setting: "--epochs", value: "0", expected: "must be at least 1").setting == "--epochs")
        let error: any Error = ConfigurationError.unmetRule(setting: "x", expected: "y")
        #expect(error is any RecurrentError)
    }

    @Test func everySettingsTypeThrowsTheErrorNamingItsSetting() throws {
        var lm = Self.languageModel()
        #expect(validationMessage(try lm.validate()) == nil)
        lm.layerNorm = true; lm.cell = .gru
        #expect(throws: ConfigurationError.invalidValue(setting: "layer normalisation", value: "GRU", expected: "is implemented for the LSTM cell only")) {
            try lm.validate()
        }
        #expect(validationMessage(try AdaptiveLogSoftmax.validate(inputSize: 8, classCount: 10, cutoffs: [], divValue: 4))
                == "adaptive softmax needs at least one cutoff")
        #expect(validationMessage(try AdaptiveLogSoftmax.validate(inputSize: 8, classCount: 10, cutoffs: [4], divValue: 0))
                == "adaptive softmax division value must be positive, got 0.0")

        var optimizer = OptimizerConfig(kind: .sgd, learningRate: 1)
        #expect(validationMessage(try optimizer.validate()) == nil)
        optimizer.learningRate = -1
        #expect(validationMessage(try optimizer.validate()) == "learning rate must be a positive number, got -1.0")
        #expect(validationMessage(try LearningRateSchedule.reduceOnPlateau(factor: 1, patience: 0, minimum: 0).validate())
                == "plateau factor must lie in (0, 1)")
        #expect(validationMessage(try TrainingBudget(epochs: 0).validate()) == "epochs must be at least 1, got 0")

        var options = TrainingOptions(output: "unused.safetensors", optimizer: OptimizerConfig(kind: .adam, learningRate: 1e-3))
        options.budget = TrainingBudget(steps: 1)
        #expect(validationMessage(try options.validate()) == nil)
        options.logEvery = 0
        #expect(validationMessage(try options.validate()) == "log interval must be at least 1")

        var seq2seq = Seq2SeqConfig(cell: .gru, lowercase: false, sourceVocabularySize: 10, targetVocabularySize: 10, embeddingSize: 4,
                                    encoderHiddenSize: 4, encoderLayers: 1, decoderHiddenSize: 6, decoderLayers: 1,
                                    attention: .dot, attentionSize: 4, inputFeeding: false, dropout: 0)
        #expect(validationMessage(try seq2seq.validate()) == "dot attention needs a decoder hidden size of twice the encoder's (8), got 6")
        seq2seq.decoderHiddenSize = 8
        #expect(validationMessage(try seq2seq.validate()) == nil)
    }

    @Test func aCheckpointWithAnInvalidConfigurationIsRefusedNamingTheFile() throws {
        var config = Self.languageModel()
        var rng = SeededRNG(seed: 1)
        let model = LanguageModel(config: config, vocabulary: Vocabulary(tokens: (0..<10).map { "t\($0)" }), rng: &rng)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-error-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(to: dir + "/lm.safetensors")
        var checkpoint = try Checkpoint.read(dir + "/lm.safetensors")
        config.dropout = 1.5
        checkpoint.config = canonicalJSON(config)
        #expect(throws: CheckpointError.badMetadata(path: dir + "/lm.safetensors", key: "config", reason: "dropout must lie in [0, 1), got 1.5")) {
            try LanguageModel(checkpoint: checkpoint)
        }
    }

    /// `Precision.use` is the library's way to compute in bf16: inside it the
    /// products are bf16 (where the CPU has AVX512-BF16), outside fp32; on a
    /// CPU without it, it throws the configuration error before running the body.
    @Test func aLibraryUserChoosesThePrecisionOfItsProducts() throws {
        #expect(Precision.current == .fp32)
        #expect(try Precision.fp32.use { Precision.current } == .fp32)
        var rng = SeededRNG(seed: 3)
        let layer = Linear(inputSize: 64, outputSize: 16, rng: &rng)
        let x = randomTensor([32, 64], seed: 4)
        let float = layer.forward(x).output
        guard CPU.hasBF16 else {
            var ran = false
            #expect(throws: ConfigurationError.self) { try Precision.bf16.use { ran = true } }
            #expect(!ran)
            return
        }
        let (inside, bf16) = try Precision.bf16.use { (Precision.current, layer.forward(x).output) }
        #expect(inside == .bf16 && Precision.current == .fp32)
        #expect(try Precision.bf16.use { try Precision.fp32.use { Precision.current } } == .fp32)   // the innermost holds
        #expect(bf16.scalars != float.scalars)                   // the operands were rounded
        expectClose(bf16, float, atol: 64 * 2.0 / 256, rtol: 0, "bf16 within bfloat16's rounding of the float product")
        #expect(layer.forward(x).output.scalars == float.scalars)   // and fp32 again after
    }
}
