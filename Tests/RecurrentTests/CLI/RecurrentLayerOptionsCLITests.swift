import Foundation
import Testing
@testable import Recurrent

/// `rnn train lm --recurrent-dropout P` and `--layer-norm` end to end: recorded
/// in the checkpoint, the layer-normalised LSTM's tensors saved under their
/// names, `rnn evaluate` and `rnn sample` working on the result, and their bad
/// inputs (docs/bad-inputs.md, RL1-RL2).
@Suite struct RecurrentLayerOptionsCLITests {
    @Test func recurrentDropoutAndLayerNormTrainEvaluateAndSample() throws {
        let dir = CLITests.tempDir(), data = try WordLanguageModelCLITests.corpus(dir), model = "\(dir)/m.safetensors"
        let train = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--seq", "8", "--batch", "4",
                                      "--steps", "10", "--lr", "0.01", "--recurrent-dropout", "0.25", "--layer-norm", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("recurrent dropout 0.25, layer-normalised LSTM"), "\(train.stdout)")
        let checkpoint = try Checkpoint.read(model)
        #expect(checkpoint.config.contains("\"recurrentDropout\":0.25") && checkpoint.config.contains("\"layerNorm\":true"), "\(checkpoint.config)")
        for name in ["rnn.weight_ln_ih_l0", "rnn.bias_ln_hh_l1", "rnn.weight_ln_c_l1"] { #expect(checkpoint.tensors[name] != nil, "\(name)") }
        let evaluate = try CLITests.rnn(["evaluate", "--model", model, "--data", data, "--seq", "8"])
        #expect(evaluate.status == 0 && evaluate.stdout.contains("perplexity"), "\(evaluate.stdout) \(evaluate.stderr)")
        let sample = try CLITests.rnn(["sample", "--model", model, "--length", "5", "--seed", "3"])
        #expect(sample.status == 0 && sample.stdout.split(separator: " ").count >= 5, "\(sample.stdout) \(sample.stderr)")
    }

    @Test(arguments: [
        (["--recurrent-dropout", "1"], "--recurrent-dropout must lie in [0, 1), got 1.0"),
        (["--layer-norm", "--cell", "gru"], "--layer-norm is implemented for the LSTM only: give --cell lstm"),
    ])
    func badOptionsAreUsageErrors(options: [String], message: String) throws {
        let dir = CLITests.tempDir(), data = try WordLanguageModelCLITests.corpus(dir)
        let r = try CLITests.rnn(["train", "lm", "--data", data, "--level", "word", "--hidden", "16", "--steps", "1",
                                  "--out", "\(dir)/m.safetensors"] + options)
        #expect(r.status == 64 && r.stderr.contains(message), "\(r.status) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/m.safetensors"))
    }
}
