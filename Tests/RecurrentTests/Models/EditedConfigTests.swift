import Foundation
import Testing
@testable import Recurrent

/// Hand-edited checkpoint configs of the translation and forecasting models: each is refused with
/// a `CheckpointError`, never a trap (an overflow, an index out of range).
@Suite struct EditedConfigTests {
    /// `model`'s checkpoint with `edit` applied to its config's JSON object.
    static func edited(kind: String, config: some Encodable, vocabulary: [String]?, tensors: [(name: String, parameter: Parameter)],
                       _ edit: (inout [String: Any]) -> Void) throws -> Checkpoint {
        var object = try #require(JSONSerialization.jsonObject(with: Data(canonicalJSON(config).utf8)) as? [String: Any])
        edit(&object)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        let path = TrainerTests.tempDir() + "/edited.safetensors"
        try Checkpoint.write(kind: kind, config: json, vocabulary: vocabulary, tensors: tensors.map { ($0.name, $0.parameter.value) }, to: path)
        return try Checkpoint.read(path)
    }

    @Test func seq2seqSizesThatWouldOverflowAreRefused() throws {
        let model = Seq2SeqTests.model(attention: .dot)
        for edit: (inout [String: Any]) -> Void in [
            { $0["sourceVocabularySize"] = Int.max },                      // before: source + target overflowed
            { $0["encoderHiddenSize"] = 1 << 62 },                        // before: 2 * encoderHiddenSize overflowed
        ] {
            let checkpoint = try Self.edited(kind: Seq2Seq.kind, config: model.config, vocabulary: model.checkpointVocabulary,
                                             tensors: model.namedParameters, edit)
            #expect(throws: CheckpointError.self) { try Seq2Seq(checkpoint: checkpoint) }
        }
    }

    @Test func aForecastersScalingWithoutAStdIsRefused() throws {
        let config = ForecasterConfig(cell: .lstm, hiddenSize: 4, layers: 1, dropout: 0, window: 4, horizon: 2, strategy: .direct, loss: .mse,
                                      logTransform: false, difference: 0, season: 1, scaling: ChannelScaling(mean: [0], std: [1]))
        var rng = SeededRNG(seed: 1)
        let model = Forecaster(config: config, rng: &rng)
        let checkpoint = try Self.edited(kind: Forecaster.kind, config: config, vocabulary: nil, tensors: model.namedParameters) {
            $0["scaling"] = ["mean": [0], "std": [Double]()]                // before: std[0] read past the end
        }
        #expect(throws: CheckpointError.self) { try Forecaster(checkpoint: checkpoint) }
    }
}
