import Foundation
import Testing
@testable import Recurrent

/// A checkpoint whose configuration fails its `validate()` is refused by
/// the command that reads it: one line naming the file, the `config`
/// entry, the setting, the value and what was expected (docs/bad-inputs.md, V rows).
struct ConfigurationCLITests {
    /// A language model's checkpoint whose stored configuration is `edit`ed after the fact.
    static func editedLanguageModel(_ dir: String, _ edit: (inout LanguageModelConfig) -> Void) throws -> String {
        let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: 4, embeddingSize: 3, hiddenSize: 5, layers: 1, dropout: 0)
        var rng = SeededRNG(seed: 7)
        let model = LanguageModel(config: config, vocabulary: Vocabulary(tokens: ["a", "b", "c", "d"]), rng: &rng)
        var edited = config
        edit(&edited)
        let path = dir + "/edited.safetensors"
        try Checkpoint.write(kind: LanguageModel.kind, config: canonicalJSON(edited), vocabulary: model.vocabulary.tokens,
                             tensors: model.namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
        return path
    }

    @Test func aCheckpointWithAnInvalidSettingIsRefusedInOneLine() throws {
        let dir = CLITests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(edit: (inout LanguageModelConfig) -> Void, message: String)] = [
            ({ $0.dropout = 1.5 }, "metadata 'config': dropout must lie in [0, 1), got 1.5"),                                   // V1
            ({ $0.adaptiveCutoffs = [3, 2] },
             "metadata 'config': adaptive softmax cutoffs must increase strictly within 1..<4 (the vocabulary size), got [3, 2]"), // V2
        ]
        for (edit, message) in cases {
            let path = try Self.editedLanguageModel(dir, edit)
            let r = try CLITests.rnn(["sample", "--model", path, "--length", "3"])
            #expect(r.status == 1, "exit \(r.status), \(r.stderr)")
            #expect(r.stderr == "Error: \(path): \(message)\n", "\(r.stderr.debugDescription)")
        }
    }
}
