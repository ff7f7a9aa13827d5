/// Token ids for language modelling, with the vocabulary they were built with.
public struct LanguageModelCorpus: Sendable {
    /// The vocabulary the ids index.
    public var vocabulary: Vocabulary
    /// The training token ids, in text order.
    public var train: [Int]
    /// The validation token ids, in text order.
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
    /// The language model trained.
    public let model: LanguageModel
    /// The training stream, `B` rows.
    public private(set) var train: TokenStream
    /// The validation stream; nil without validation text.
    public let valid: TokenStream?
    var carried: RecurrentState?
    /// Told which parameters' gradients are final during backward (data-parallel training overlaps their reduction).
    public var gradientsReady: GradientsReady?
    /// Given to the validation pass between batches: its progress, and a stop request (see ``PassControl``).
    public var passControl: PassControl?
    /// Told when backward starts in each training batch (step timing splits forward from backward there).
    public var backwardStarts: (() -> Void)?
    /// Data-parallel: this rank's streams are `first ..< first + train.batchSize` of `globalBatch`.
    private var shardRange: (first: Int, globalBatch: Int)? = nil
    /// Data-parallel: this rank's rows of the validation streams (nil when it has none).
    private var validShare: TokenStream? = nil

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

    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { train.batchCount }
    /// What one counted item is: "tokens".
    public var unit: String { "tokens" }
    /// Whether there is validation data.
    public var hasValidationData: Bool { valid != nil }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (LanguageModel.kind, model.configJSON, model.vocabulary.tokens)
    }

    /// The stream is read in order, so an epoch needs no preparation; the
    /// carried state is reset by batch 0 (a resumed epoch keeps its state).
    public func startEpoch(_ epoch: Int, seed: UInt64) {}

    /// Forgets the carried state: the next batch starts from zeros.
    public func restart() { carried = nil }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        if index == 0 { carried = nil }
        let b = train.batch(index)
        let r = model.loss(inputs: b.inputs, targets: b.targets, steps: b.steps, batch: train.batchSize, initial: carried,
                           training: true, rng: &rng, gradientsReady: gradientsReady, backwardStarts: backwardStarts)
        carried = r.outputs
        return BatchLoss(loss: r.loss, count: r.count)
    }

    /// The validation loss and metrics (bits per character at character level, else perplexity), or nil without validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? {
        guard let valid else { return nil }
        let r = model.evaluate(valid, control: passControl)
        return validation(fromSums: [r.loss * Double(r.tokens), Double(r.tokens)])
    }

    /// Data-parallel: the summed loss and token count of this rank's rows of the validation streams.
    public func validationSums() -> [Double]? {
        guard shardRange != nil, valid != nil else { return nil }
        guard let validShare else { return [0, 0] }
        let r = model.evaluate(validShare, control: passControl)
        return [r.loss * Double(r.tokens), Double(r.tokens)]
    }

    /// The mean loss (nats per token) and bits per character or perplexity from summed loss and tokens.
    public func validation(fromSums sums: [Double]) -> (loss: Double, metrics: [String: Double]) {
        let loss = sums.count == 2 && sums[1] > 0 ? sums[0] / sums[1] : .nan
        return (loss, model.config.level == .char ? ["bits_per_char": loss / log(2.0)] : ["perplexity": exp(loss)])
    }

    /// The recurrent state carried to the next batch (`h`, and `c` for LSTM, `[L, B, H]`), saved for exact resumption.
    public var carriedState: [(name: String, tensor: Tensor)] {
        guard let carried else { return [] }
        return [("h", carried.h)] + (carried.c.map { [("c", $0)] } ?? [])
    }

    /// `h` (and `c` for an LSTM) of `[L, B, H]` (data-parallel: `B` of all ranks together,
    /// as ``Trainer`` gathers them for the resume file).
    public var carriedStateShapes: [String: [Int]] {
        let shape = [model.config.layers, shardRange?.globalBatch ?? train.batchSize, model.config.hiddenSize]
        return model.config.cell.hasCellState ? ["h": shape, "c": shape] : ["h": shape]
    }

    /// Restores the state saved by ``carriedState``.
    public func restoreCarriedState(_ tensors: [String: Tensor]) throws {
        func mine(_ t: Tensor) -> Tensor {
            guard let shard = shardRange else { return t }
            let L = t.shape[0], H = t.shape[2], b = train.batchSize
            var part = Tensor.zeros([L, b, H])
            for l in 0..<L {
                for j in 0..<b * H { part.scalars[(l * b) * H + j] = t.scalars[(l * shard.globalBatch + shard.first) * H + j] }
            }
            return part
        }
        carried = tensors["h"].map { RecurrentState(h: mine($0), c: tensors["c"].map(mine)) }
    }

    /// Rank `rank` of `size` takes streams `rank*B/size ..< (rank+1)*B/size` of
    /// the `B` contiguous streams one process would read: the same tokens in
    /// the same places, so `size` ranks of `B/size` streams compute what one
    /// process with `B` computes. `B` must divide by `size`.
    public func shard(rank: Int, size: Int) -> String? {
        let B = train.batchSize
        guard shardRange == nil else { return "the training stream is already split among ranks" }
        guard B % size == 0 else {
            return "--batch \(B) does not divide among \(size) ranks; give a multiple of \(size)"
        }
        let b = B / size, L = train.streamLength
        let mine = Array(train.ids[(rank * b * L)..<((rank + 1) * b * L)])
        train = TokenStream(ids: mine, batchSize: b, sequenceLength: train.sequenceLength)
        shardRange = (rank * b, B)
        carried = nil
        // Validation: rows `rank*V/size ..< (rank+1)*V/size` of the V validation streams (some ranks may have none).
        if let valid {
            let first = rank * valid.batchSize / size, end = (rank + 1) * valid.batchSize / size
            let rows = Array(valid.ids[(first * valid.streamLength)..<(end * valid.streamLength)])
            validShare = end > first ? TokenStream(ids: rows, batchSize: end - first, sequenceLength: valid.sequenceLength) : nil
        }
        return nil
    }
}

import Foundation
