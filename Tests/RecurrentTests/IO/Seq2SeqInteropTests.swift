import Testing
@testable import Recurrent

/// Seq2Seq checkpoints move between Recurrent and PyTorch both ways
/// (Scripts/torch_interop.py export-seq2seq / load-swift-seq2seq wrote the fixtures).
@Suite struct Seq2SeqInteropTests {
    /// The script's fixed pairs: sources of lengths 4, 2, 5 ending in `<eos>`, targets of lengths 3, 1, 4.
    static func fixedPairs(_ c: Seq2SeqConfig) -> (sources: [[Int]], targets: [[Int]]) {
        func ids(_ n: Int, _ k: Int, _ V: Int) -> [Int] { (0..<n).map { 4 + (7 * (k + $0) + 3) % (V - 4) } }
        let sources = [4, 2, 5].enumerated().map { k, n in ids(n - 1, k, c.sourceVocabularySize) + [Seq2Seq.eosID] }
        let targets = [3, 1, 4].enumerated().map { k, n in ids(n, 10 + k, c.targetVocabularySize) }
        return (sources, targets)
    }

    static func check(_ model: String, _ outputs: String) throws {
        let m = try Seq2Seq(checkpoint: Checkpoint.read(fixturePath(model)))
        let o = try fixture(outputs)
        let (sources, targets) = Self.fixedPairs(m.config)
        var rng = SeededRNG(seed: 0)
        let r = m.loss(sources: sources, targets: targets, rng: &rng)
        expectClose(Tensor(shape: [1], scalars: [Float(r.loss)]), try o.tensor("loss"), "\(model) loss")
        expectClose(r.outputs.weights, try o.tensor("weights"), "\(model) attention weights")
    }

    @Test("PyTorch Seq2Seq checkpoints (LSTM, additive, input feeding; GRU, general) load and give PyTorch's loss")
    func pytorchModelsLoadAndAgree() throws {
        try Self.check("interop_torch_seq2seq", "interop_torch_seq2seq_outputs")
        try Self.check("interop_torch_seq2seq_gru", "interop_torch_seq2seq_gru_outputs")
    }

    @Test("a checkpoint of rnn train translate loads into PyTorch strictly and PyTorch gives the same loss")
    func swiftCheckpointAgreesWithPyTorch() throws {
        try Self.check("interop_swift_seq2seq", "interop_swift_seq2seq_torch_outputs")
    }
}
