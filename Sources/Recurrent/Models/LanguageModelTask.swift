/// Token ids for language modelling, with the vocabulary they were built with.
public struct LanguageModelCorpus: Sendable {
    public var vocabulary: Vocabulary
    public var train: [Int]
    public var valid: [Int]

    /// Tokenises `train` (and `valid`, or the last 10% of `train` when nil, as
    /// nanoGPT splits tinyshakespeare). Character level: the vocabulary is every
    /// character seen. Word level: words seen `minimumCount` times in the
    /// training part, plus `<unk>` and `<eos>`.
    public init(train: String, valid: String?, level: TextLevel, minimumCount: Int = 1) {
        var trainTokens = level.tokens(train)
        var validTokens: [String]
        if let valid {
            validTokens = level.tokens(valid)
        } else {
            let cut = trainTokens.count * 9 / 10
            validTokens = Array(trainTokens[cut...])
            trainTokens = Array(trainTokens[..<cut])
        }
        switch level {
        case .char:
            let seen = Set(trainTokens).union(validTokens)
            vocabulary = Vocabulary(tokens: seen.sorted { $0.unicodeScalars.first!.value < $1.unicodeScalars.first!.value })
        case .word:
            vocabulary = Vocabulary(counting: trainTokens, specials: [Vocabulary.unknown, Vocabulary.endOfSentence],
                                    minimumCount: minimumCount)
        }
        let v = vocabulary
        self.train = trainTokens.map { v.idOrUnknown($0)! }
        self.valid = validTokens.map { v.idOrUnknown($0)! }
    }
}

/// Truncated-BPTT training of a ``LanguageModel`` on one token stream, carrying
/// the recurrent state from batch to batch as char-rnn does.
public final class LanguageModelTask: TrainingTask {
    public let model: LanguageModel
    public let train: TokenStream
    public let valid: TokenStream?
    var carried: RecurrentState?

    /// - Parameters:
    ///   - batch: `B`, the number of parallel streams; `seq`: `T`, steps per batch.
    public init(model: LanguageModel, train: [Int], valid: [Int]?, batch: Int, seq: Int) {
        self.model = model
        self.train = TokenStream(ids: train, batchSize: batch, sequenceLength: seq)
        self.valid = valid.flatMap { v in
            let vb = max(1, min(batch, seq == .max ? 0 : v.count / (seq + 1)))
            let s = TokenStream(ids: v, batchSize: vb, sequenceLength: seq)
            return s.batchCount > 0 ? s : nil
        }
    }

    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    public var batchesPerEpoch: Int { train.batchCount }
    public var unit: String { "tokens" }
    public var hasValidationData: Bool { valid != nil }
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (LanguageModel.kind, model.configJSON, model.vocabulary.tokens)
    }

    /// The stream is read in order, so an epoch needs no preparation; the
    /// carried state is reset by batch 0 (a resumed epoch keeps its state).
    public func startEpoch(_ epoch: Int, seed: UInt64) {}

    /// Forgets the carried state: the next batch starts from zeros.
    public func restart() { carried = nil }

    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> (loss: Double, count: Int) {
        if index == 0 { carried = nil }
        let b = train.batch(index)
        let r = model.loss(inputs: b.inputs, targets: b.targets, T: b.T, B: train.batchSize, initial: carried,
                           training: true, rng: &rng)
        carried = r.final
        return (r.loss, r.count)
    }

    public func validate() -> (loss: Double, metrics: [String: Double])? {
        guard let valid else { return nil }
        let r = model.evaluate(valid)
        return (r.loss, model.config.level == .char ? ["bits_per_char": r.loss / log(2.0)] : ["perplexity": exp(r.loss)])
    }

    public var carriedState: [(name: String, tensor: Tensor)] {
        guard let carried else { return [] }
        return [("h", carried.h)] + (carried.c.map { [("c", $0)] } ?? [])
    }

    /// `h` (and `c` for an LSTM) of `[L, B, H]`.
    public var carriedStateShapes: [String: [Int]] {
        let shape = [model.config.layers, train.batchSize, model.config.hiddenSize]
        return model.config.cell.hasCellState ? ["h": shape, "c": shape] : ["h": shape]
    }

    public func restoreCarriedState(_ tensors: [String: Tensor]) throws {
        carried = tensors["h"].map { RecurrentState(h: $0, c: tensors["c"]) }
    }
}

import Foundation
