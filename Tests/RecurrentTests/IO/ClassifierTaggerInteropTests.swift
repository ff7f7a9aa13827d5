import Foundation
import Testing
@testable import Recurrent

/// The classifier and the tagger move between Recurrent and PyTorch both ways, as the
/// language model does: Scripts/make_classifier_tagger_interop.sh exported PyTorch models
/// (Scripts/torch_models.py) with their logits, and loaded checkpoints written by
/// `rnn train classify|tag` into PyTorch with strict=True, saving torch's logits.
@Suite struct ClassifierTaggerInteropTests {
    /// The fixed input's logits from Recurrent: `[B, labels]` for the id sequences stored in `outputs`.
    static func classifierLogits(_ model: SequenceClassifier, _ outputs: SafeTensorsFile) throws -> Tensor {
        let sequences = try JSONDecoder().decode([[Int]].self, from: Data((outputs.metadata["sequences"] ?? "").utf8))
        var rng = SeededRNG(seed: 0)
        return model.loss(sequences, rng: &rng).outputs
    }

    /// `[T * B, tags]` for the sentences stored in `outputs`.
    static func taggerLogits(_ model: SequenceTagger, _ outputs: SafeTensorsFile) throws -> Tensor {
        let sentences = try JSONDecoder().decode([[String]].self, from: Data((outputs.metadata["sentences"] ?? "").utf8))
        var rng = SeededRNG(seed: 0)
        return model.loss(sentences, rng: &rng).outputs
    }

    @Test(arguments: ["last", "mean", "max"])
    func pytorchClassifierLoadsAndAgrees(pooling: String) throws {
        let model = try SequenceClassifier(checkpoint: Checkpoint.read(fixturePath("interop_torch_classifier_\(pooling)")))
        #expect(model.config.pooling.rawValue == pooling && model.config.bidirectional && model.config.layers == 2)
        let expected = try fixture("interop_torch_classifier_\(pooling)_outputs").tensor("logits")
        expectClose(try Self.classifierLogits(model, try fixture("interop_torch_classifier_\(pooling)_outputs")), expected, "\(pooling) logits")
    }

    @Test func swiftClassifierAgreesWithPyTorchOnIt() throws {
        let model = try SequenceClassifier(checkpoint: Checkpoint.read(fixturePath("interop_swift_classifier")))
        #expect(model.config.cell == .gru && model.config.pooling == .mean)
        let outputs = try fixture("interop_swift_classifier_torch_outputs")
        expectClose(try Self.classifierLogits(model, outputs), try outputs.tensor("logits"), "logits")
    }

    @Test func pytorchTaggerLoadsAndAgrees() throws {
        let model = try SequenceTagger(checkpoint: Checkpoint.read(fixturePath("interop_torch_tagger")))
        #expect(model.config.usesCharacters && model.config.layers == 2)
        let outputs = try fixture("interop_torch_tagger_outputs")
        let expected = try outputs.tensor("logits")
        #expect(expected.shape == [4, 3, 4])
        expectClose(try Self.taggerLogits(model, outputs), expected.reshaped([12, 4]), "logits")
    }

    @Test func swiftTaggerAgreesWithPyTorchOnIt() throws {
        let model = try SequenceTagger(checkpoint: Checkpoint.read(fixturePath("interop_swift_tagger")))
        let outputs = try fixture("interop_swift_tagger_torch_outputs")
        let expected = try outputs.tensor("logits")
        expectClose(try Self.taggerLogits(model, outputs), expected.reshaped([expected.shape[0] * expected.shape[1], expected.shape[2]]), "logits")
    }
}
