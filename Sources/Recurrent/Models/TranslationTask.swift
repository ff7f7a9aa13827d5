import Foundation

extension Seq2Seq {
    /// The mean loss per target token (`<eos>` included) over `sources`/`targets` (ids), in evaluation mode.
    /// `control` is told the progress and may stop the pass between batches (see ``PassControl``).
    public func evaluateLoss(sources: [[Int]], targets: [[Int]], batch: Int = 64, control: PassControl? = nil) -> (loss: Double, tokens: Int) {
        var rng = SeededRNG(seed: 0)
        var total = 0.0, count = 0
        let order = LengthBatcher(lengths: sources.map(\.count), batchSize: batch).batches(epoch: 0, seed: 0, shuffle: false)
        control.forEach(order) { indices in
            let r = loss(sources: indices.map { sources[$0] }, targets: indices.map { targets[$0] }, rng: &rng)
            total += r.loss * Double(r.count)
            count += r.count
        }
        return (total / Double(max(count, 1)), count)
    }

    /// Corpus BLEU and chrF of the detokenized translations of `sources` (tokenized) against `references` (raw lines).
    /// `control` is told the decoding's progress and may stop it between batches (the scores then cover fewer lines).
    public func score(sources: [[String]], references: [String], options: DecodingOptions,
                      control: PassControl? = nil) -> (bleu: BLEU, chrF: ChrF, outputs: [String]) {
        let outputs = translate(sources, options: options, control: control).map { TranslationText.detokenize($0.first?.words ?? []) }
        let scored = Array(references.prefix(outputs.count))     // all of them unless `control` stopped the decoding
        return (BLEU(hypotheses: outputs, references: scored), ChrF(hypotheses: outputs, references: scored), outputs)
    }
}

/// Training a ``Seq2Seq`` on sentence pairs batched by source length, with
/// validation loss and BLEU (greedy decoding) as metrics.
public final class TranslationTask: TrainingTask {
    /// The model trained.
    public let model: Seq2Seq
    let trainSources: [[Int]], trainTargets: [[Int]]
    let validSources: [[Int]], validTargets: [[Int]]
    let validWords: [[String]], validReferences: [String]
    let batcher: LengthBatcher
    var batches: [[Int]] = []
    /// How validation decodes for BLEU (greedy by default: fast).
    public var validationDecoding: DecodingOptions = { var o = DecodingOptions(); o.beam = 1; return o }()
    /// Feed the model's own predictions in training (nil: always the reference words).
    public var scheduledSampling: ScheduledSampling?
    var epoch = 0
    /// Given to the validation pass between batches: its progress, and a stop request (see ``PassControl``).
    public var passControl: PassControl?

    /// `valid` pairs bring their reference lines for BLEU (``ParallelText/Pair/reference``).
    public init(model: Seq2Seq, train: [ParallelText.Pair], valid: [ParallelText.Pair], batch: Int) {
        self.model = model
        trainSources = train.map { model.sourceIDs($0.source) }
        trainTargets = train.map { model.targetIDs($0.target) }
        validSources = valid.map { model.sourceIDs($0.source) }
        validTargets = valid.map { model.targetIDs($0.target) }
        validWords = valid.map(\.source)
        validReferences = valid.map(\.reference)
        batcher = LengthBatcher(lengths: trainSources.map(\.count), batchSize: batch)
    }

    /// The model's parameters under their checkpoint names.
    public var parameters: [(name: String, parameter: Parameter)] { model.namedParameters }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { batcher.batchCount }
    /// What one counted item is: "target tokens".
    public var unit: String { "target tokens" }
    /// Whether there is validation data.
    public var hasValidationData: Bool { !validSources.isEmpty }
    /// The model's checkpoint `kind`, configuration JSON and vocabulary.
    public var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) {
        (Seq2Seq.kind, model.configJSON, model.checkpointVocabulary)
    }

    /// Shuffles the batches of epoch `epoch` (deterministic in `seed` and the epoch).
    public func startEpoch(_ epoch: Int, seed: UInt64) {
        self.epoch = epoch
        batches = batcher.batches(epoch: epoch, seed: seed)
    }

    /// The scheduled-sampling probability for batch `index` of the current epoch.
    func samplingProbability(batch index: Int) -> Double {
        scheduledSampling?.probability(afterEpochs: Double(epoch) + Double(index) / Double(max(batchesPerEpoch, 1))) ?? 0
    }

    /// Forward and backward on batch `index` of the epoch (gradients added into the parameters); the mean loss and the items counted.
    public func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void> {
        let indices = batches[index]
        let sources = indices.map { trainSources[$0] }, targets = indices.map { trainTargets[$0] }
        var fed: [[Int]]? = nil
        let p = samplingProbability(batch: index)
        if p > 0 {
            let guesses = model.loss(sources: sources, targets: targets, predicting: true, rng: &rng).outputs.predictions
            fed = ScheduledSampling.mix(targets: targets, predictions: guesses, p: p, rng: &rng)
        }
        let r = model.loss(sources: sources, targets: targets, fed: fed, training: true, rng: &rng)
        return BatchLoss(loss: r.loss, count: r.count)
    }

    /// The validation loss and metrics (BLEU, chrF and perplexity), or nil without validation data.
    public func validationResult() -> (loss: Double, metrics: [String: Double])? {
        guard hasValidationData else { return nil }
        let loss = model.evaluateLoss(sources: validSources, targets: validTargets, control: passControl).loss
        if passControl?.stopped == true { return (loss, [:]) }
        let s = model.score(sources: validWords, references: validReferences, options: validationDecoding, control: passControl)
        return (loss, ["bleu": s.bleu.score, "chrf": s.chrF.score, "perplexity": exp(loss)])
    }
}
