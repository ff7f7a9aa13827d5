import Testing
@testable import Recurrent

/// Checkpoints move between Recurrent and PyTorch both ways
/// (Scripts/torch_interop.py wrote the fixtures; see its docstring).
@Suite struct InteropTests {
    /// `ids` are 0, 1, 2, ... mod V as `[T=7, B=2]`, as the script feeds them.
    static func check(model: LanguageModel, outputs: SafeTensorsFile) throws {
        let ids = try outputs.tensor("ids").scalars.map { Int($0) }
        let r = model.logits(inputs: ids, steps: 7, batch: 2)
        let expected = try outputs.tensor("logits")
        expectClose(r.logits.reshaped(expected.shape), expected, "logits")
        let h = try outputs.tensor("h_n")
        expectClose(r.final.h, h, "final h")
    }

    @Test func pytorchModelLoadsAndAgrees() throws {
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_torch_lm")))
        #expect(model.config.cell == .gru && model.config.layers == 2)
        try Self.check(model: model, outputs: try fixture("interop_torch_lm_outputs"))
    }

    @Test func swiftCheckpointAgreesWithPyTorchOnIt() throws {
        // interop_swift_lm was written by `rnn train lm`; the script loaded it into
        // torch.nn with load_state_dict(strict=True) and saved torch's logits.
        let model = try LanguageModel(checkpoint: Checkpoint.read(fixturePath("interop_swift_lm")))
        #expect(model.config.cell == .lstm)
        try Self.check(model: model, outputs: try fixture("interop_swift_lm_torch_outputs"))
    }

    @Test func savedCheckpointKeepsPyTorchNames() throws {
        let ck = try Checkpoint.read(fixturePath("interop_swift_lm"))
        #expect(Set(ck.tensors.keys) == ["embedding.weight", "head.weight", "head.bias",
                                         "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                                         "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"])
        #expect(ck.metadata["format"] == Checkpoint.format)
    }
}
