import Foundation

/// The hyper-parameters of a ``LanguageModel``, stored in its checkpoints.
public struct LanguageModelConfig: Codable, Equatable, Sendable, CheckedConfig {
    /// Characters or words: how text becomes tokens.
    public var level: TextLevel
    /// The recurrent cell.
    public var cell: CellKind
    /// `V`, the number of tokens.
    public var vocabularySize: Int
    /// `E`, the size of each token's vector.
    public var embeddingSize: Int
    /// `H`, the hidden size of every layer.
    public var hiddenSize: Int
    /// `L`, the number of stacked layers.
    public var layers: Int
    /// Dropout between recurrent layers, and on the embedded input and the top
    /// layer's output unless ``inputDropout`` / ``outputDropout`` say otherwise.
    public var dropout: Float
    /// Dropout on the embedded input (nil: ``dropout``).
    public var inputDropout: Float?
    /// Dropout on the top layer's output, before the output layer (nil: ``dropout``).
    public var outputDropout: Float?
    /// Whole-word dropout on the embedding table (AWD-LSTM's `dropoute`; nil: none).
    public var embeddingDropout: Float?
    /// DropConnect on every `W_hh`, one mask per batch (AWD-LSTM's `wdrop`; nil: none).
    public var weightDrop: Float?
    /// Recurrent dropout on `h_{t-1}` where it enters `W_hh h_{t-1}`, one mask
    /// per sequence and pass (Keras' `recurrent_dropout`; nil: none).
    public var recurrentDropout: Float?
    /// Layer-normalised LSTM cells (``LSTMLayerNorm``; nil: the plain cell).
    public var layerNorm: Bool?
    /// Locked (variational) dropout: one mask per sequence, the same at every step (nil: a fresh mask per step).
    public var lockedDropout: Bool?
    /// The output layer shares the embedding table (Press & Wolf 2017), after a
    /// projection `H -> E` when the sizes differ (nil: untied).
    public var tied: Bool?
    /// Adaptive softmax cutoffs (``AdaptiveLogSoftmax``; nil: the full softmax).
    public var adaptiveCutoffs: [Int]?
    /// The adaptive softmax's division value (nil: 4, PyTorch's default).
    public var adaptiveDivValue: Float?

    /// A configuration with these sizes; every regulariser and output option off (nil).
    public init(level: TextLevel, cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int, dropout: Float) {
        self.level = level
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.dropout = dropout
    }

    var isTied: Bool { tied ?? false }
    /// A projection `H -> E` sits before a tied output layer when the sizes differ.
    var hasProjection: Bool { isTied && embeddingSize != hiddenSize }
    var divValue: Float { adaptiveDivValue ?? 4 }

    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    public func validate() throws(ConfigurationError) {
        if vocabularySize < 1 { throw .unmetRule(setting: "vocabulary size", expected: "must be at least 1") }
        if embeddingSize < 1 || hiddenSize < 1 || layers < 1 {
            throw .unmetRule(setting: "embedding, hidden size and layers", expected: "must be at least 1")
        }
        for (name, p) in [("dropout", dropout), ("input dropout", inputDropout ?? 0), ("output dropout", outputDropout ?? 0),
                          ("embedding dropout", embeddingDropout ?? 0), ("weight drop", weightDrop ?? 0),
                          ("recurrent dropout", recurrentDropout ?? 0)] where !(p >= 0 && p < 1) {
            throw .invalidValue(setting: name, value: "\(p)", expected: "must lie in [0, 1)")
        }
        if layerNorm == true && cell != .lstm {
            throw .invalidValue(setting: "layer normalisation", value: "\(cell)", expected: "is implemented for the LSTM cell only")
        }
        if let cutoffs = adaptiveCutoffs {
            if isTied { throw .unmetRule(setting: "tied weights", expected: "need the full softmax; drop the adaptive softmax or the tying") }
            try AdaptiveLogSoftmax.validate(inputSize: hiddenSize, classCount: vocabularySize, cutoffs: cutoffs, divValue: divValue)
        }
    }

    /// The model's parameter count, or nil when it overflows (call ``validate()`` first).
    public var parameterCount: Int? {
        let output: [Int?]
        if let cutoffs = adaptiveCutoffs {
            output = [AdaptiveLogSoftmax.parameterCount(inputSize: hiddenSize, classCount: vocabularySize, cutoffs: cutoffs, divValue: divValue)]
        } else if isTied {
            output = [vocabularySize, hasProjection ? ParameterCount.product(embeddingSize, hiddenSize) : 0]
        } else {
            output = [ParameterCount.linear(inputSize: hiddenSize, outputSize: vocabularySize)]
        }
        return ParameterCount.sum([ParameterCount.embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize),
                                   ParameterCount.recurrent(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, bidirectional: false,
                                                            layerNorm: layerNorm ?? false)]
                                  + output)
    }
}

/// A next-token language model, the many-to-many shape of the seeds'
/// "hell" -> "ello": embedding -> dropout -> stacked RNN/LSTM/GRU (dropout
/// between layers) -> dropout -> output layer -> softmax, as PyTorch's
/// word-language-model example builds it. Parameter names match the PyTorch
/// module with attributes `embedding`, `rnn`, `projection`, `head` and
/// `adaptive` (Scripts/torch_models.py).
///
/// The output layer is a linear `head` (`[V, H]`, or tied to the embedding
/// table `[V, E]` after a `projection` `[E, H]` when `E != H`), or an
/// ``AdaptiveLogSoftmax`` (`adaptive`). The word-level regularisers of
/// AWD-LSTM (Merity et al. 2017) are options of the configuration: locked
/// dropout, embedding dropout and weight drop on `W_hh`; and Keras'
/// recurrent dropout on `h_{t-1}` inside `W_hh h_{t-1}`.
public final class LanguageModel: Layer {
    /// The checkpoint `kind` of a language model.
    public static let kind = "language_model"

    /// The hyper-parameters it was built with.
    public let config: LanguageModelConfig
    /// The tokens, `V` of them, in id order.
    public let vocabulary: Vocabulary
    /// The token embedding `[V, E]` (`embedding.weight`).
    public let embedding: Embedding
    /// The recurrent stack, `E -> H` (`rnn.*`, PyTorch's names).
    public let rnn: RecurrentLayer
    /// `H -> E` before a tied head whose sizes differ; nil otherwise.
    public let projection: Linear?
    /// The softmax output layer; nil with an adaptive softmax.
    public let head: Linear?
    /// The adaptive softmax; nil with the full softmax.
    public let adaptive: AdaptiveLogSoftmax?
    let inputDropout: Dropout
    let outputDropout: Dropout
    let embeddingDropout: EmbeddingDropout

    /// A model with fresh parameters drawn from `rng`.
    ///
    /// The caller validates `config` first (``LanguageModelConfig/validate()``;
    /// ``init(checkpoint:ignoringPrefixes:)`` and the `rnn` options do): an
    /// invalid configuration, or a vocabulary of another size, is a programmer error.
    public init(config: LanguageModelConfig, vocabulary: Vocabulary, rng: inout SeededRNG) {
        config.preconditionValid("LanguageModel")
        precondition(vocabulary.count == config.vocabularySize,
                     "LanguageModel: vocabulary has \(vocabulary.count) tokens, config says \(config.vocabularySize)")
        self.config = config
        self.vocabulary = vocabulary
        let locked = config.lockedDropout ?? false
        // Words: U(-0.1, 0.1), as Zaremba et al. (2014); N(0, 1) leaves every rare word's
        // row a large random vector that training barely moves (docs/results.md, issue 18).
        embedding = Embedding(vocabularySize: config.vocabularySize, embeddingSize: config.embeddingSize, rng: &rng,
                              uniformScale: config.level == .word ? 0.1 : nil)
        rnn = RecurrentLayer(cell: config.cell, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize,
                             layers: config.layers, dropout: config.dropout, lockedDropout: locked,
                             recurrentDropout: config.recurrentDropout ?? 0, layerNorm: config.layerNorm ?? false, rng: &rng)
        projection = config.hasProjection ? Linear(inputSize: config.hiddenSize, outputSize: config.embeddingSize, bias: false, rng: &rng) : nil
        if let cutoffs = config.adaptiveCutoffs {
            adaptive = AdaptiveLogSoftmax(inputSize: config.hiddenSize, classCount: config.vocabularySize, cutoffs: cutoffs,
                                          divValue: config.divValue, rng: &rng)
            head = nil
        } else {
            adaptive = nil
            head = config.isTied ? Linear(sharing: embedding.weight, rng: &rng)
                : Linear(inputSize: config.hiddenSize, outputSize: config.vocabularySize, rng: &rng)
        }
        inputDropout = Dropout(probability: config.inputDropout ?? config.dropout, locked: locked)
        outputDropout = Dropout(probability: config.outputDropout ?? config.dropout, locked: locked)
        embeddingDropout = EmbeddingDropout(probability: config.embeddingDropout ?? 0)
    }

    /// Tied: `head.weight` is `embedding.weight` and is walked once, as `embedding.weight`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + prefixed("rnn", rnn) + (projection.map { prefixed("projection", $0) } ?? [])
            + (head.map { prefixed("head", $0).filter { !(config.isTied && $0.name == "head.weight") } } ?? [])
            + (adaptive.map { prefixed("adaptive", $0) } ?? [])
    }

    /// Mean cross-entropy (nats per token) of predicting `targets` from `inputs`
    /// (both `[T, B]`, time-major), starting from `initial`. With `training`,
    /// dropout is applied and gradients are added into every parameter.
    ///
    /// `gradientsReady` is told the head's, each recurrent layer's (top first)
    /// and the embedding's parameters as backward finishes their gradients;
    /// `backwardStarts` when backward starts (after the loss and the gradient
    /// of the logits; with an adaptive softmax, after its whole backward).
    ///
    /// - Returns: the mean loss, the number of tokens, and in `outputs` the final state (to carry to the next batch).
    public func loss(inputs: [Int], targets: [Int], steps T: Int, batch B: Int, initial: RecurrentState?,
                     training: Bool, rng: inout SeededRNG, gradientsReady: GradientsReady? = nil, backwardStarts: (() -> Void)? = nil)
        -> BatchLoss<RecurrentState> {
        let H = config.hiddenSize
        let reportInside = (config.weightDrop ?? 0) == 0 || !training
        let result = withWeightDrop(training: training, rng: &rng) { rng in
            let e = embedding.forward(ids: inputs, shape: [T, B])
            let de = embeddingDropout.forward(e.output, ids: inputs, training: training, rng: &rng)
            let d1 = inputDropout.forward(de.output, training: training, rng: &rng)
            let r = rnn.forward(d1.output, initial: initial, training: training, rng: &rng)
            let d2 = outputDropout.forward(r.output, training: training, rng: &rng)
            let out = readout(d2.output.reshaped([T * B, H]), targets: targets, computingGradient: training, backwardStarts: backwardStarts)
            if let dFeatures = out.gradFeatures {
                if reportInside { gradientsReady?(outputParameters) }
                let dOut = outputDropout.backward(d2.trace, gradOutput: dFeatures.reshaped([T, B, H]))
                let dEmbedded = rnn.backward(r.trace, gradOutput: dOut, gradientsReady: reportInside ? gradientsReady : nil).gradInput
                let dLookup = embeddingDropout.backward(de.trace, gradOutput: inputDropout.backward(d1.trace, gradOutput: dEmbedded))
                embedding.backward(e.trace, gradOutput: dLookup)
                if reportInside { gradientsReady?(embedding.parameters) }
            }
            return BatchLoss(loss: out.loss, count: out.count, outputs: r.final)
        }
        // Under weight drop, W_hh's gradients are final only once withWeightDrop has masked them.
        if training && !reportInside { gradientsReady?(outputParameters + rnn.parameters + embedding.parameters) }
        return result
    }

    /// The output layer's own parameters (a weight tied to the embedding is the embedding's).
    var outputParameters: [Parameter] {
        let all = (projection?.parameters ?? []) + (head?.parameters ?? []) + (adaptive?.parameters ?? [])
        return all.filter { p in !embedding.parameters.contains { $0 === p } }
    }

    /// The output layer's mean loss for `features` (`[N, H]`) and `N` targets;
    /// with `computingGradient`, gradients are added into its parameters and
    /// `dL/dfeatures` is returned.
    func readout(_ features: Tensor, targets: [Int], computingGradient: Bool,
                 backwardStarts: (() -> Void)? = nil) -> (loss: Double, count: Int, gradFeatures: Tensor?) {
        if let adaptive {
            let r = adaptive.loss(features, targets: targets, computingGradient: computingGradient)
            if computingGradient { backwardStarts?() }
            return (r.loss, r.counted, r.gradInput)
        }
        let p = projection?.forward(features)
        let out = head!.forward(p?.output ?? features)
        guard computingGradient else {
            let ce = CrossEntropy.loss(logits: out.output, targets: targets)
            return (Double(ce.loss), ce.counted, nil)
        }
        let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
        backwardStarts?()
        let dHead = head!.backward(out.trace, gradOutput: ce.gradient)
        return (Double(ce.loss), ce.counted, p.map { projection!.backward($0.trace, gradOutput: dHead) } ?? dHead)
    }

    /// Next-token logits `[N, V]` for top-layer `features` (`[N, H]`); with an
    /// adaptive softmax these are the log-probabilities themselves.
    public func outputLogits(_ features: Tensor) -> Tensor {
        if let adaptive { return adaptive.logProbabilities(features) }
        return head!.forward(projection.map { $0.forward(features).output } ?? features).output
    }

    /// Runs `body` with every `W_hh` replaced by `W_hh * mask` (DropConnect, one
    /// mask per call, scaled by `1 / (1 - p)`), when training with a weight drop;
    /// the gradients `body` adds are carried back to the raw weights (`* mask`).
    func withWeightDrop<R>(training: Bool, rng: inout SeededRNG, _ body: (inout SeededRNG) -> R) -> R {
        let p = config.weightDrop ?? 0
        guard training && p > 0 else { return body(&rng) }
        let dropout = Dropout(probability: p)
        let weights = rnn.passes.flatMap { $0.map(\.weightHH) }
        var saved: [(value: Tensor, grad: Tensor, mask: Tensor)] = []
        for w in weights {
            let dropped = dropout.forward(w.value, training: true, rng: &rng)
            saved.append((w.value, w.grad, dropped.trace.mask!))
            w.value = dropped.output
        }
        let result = body(&rng)
        for (w, s) in zip(weights, saved) {
            w.value = s.value
            var g = s.grad
            for i in 0..<g.count { g.scalars[i] += (w.grad.scalars[i] - s.grad.scalars[i]) * s.mask.scalars[i] }
            w.grad = g
        }
        return result
    }

    /// The next-token logits `[T*B, V]` (row `t*B + b`) for `inputs` (`[T, B]`), without dropout.
    public func logits(inputs: [Int], steps T: Int, batch B: Int, initial: RecurrentState? = nil) -> (logits: Tensor, final: RecurrentState) {
        let e = embedding.forward(ids: inputs, shape: [T, B]).output
        let r = rnn.forward(e, initial: initial)
        return (outputLogits(r.output.reshaped([T * B, config.hiddenSize])), r.final)
    }

    /// Mean loss over a whole stream, carrying the state across batches (no dropout).
    /// `control` is told the progress and may stop the pass between batches (see ``PassControl``).
    public func evaluate(_ stream: TokenStream, control: PassControl? = nil) -> (loss: Double, tokens: Int) {
        var state: RecurrentState? = nil
        var total = 0.0, count = 0
        var unused = SeededRNG(seed: 0)
        control.forEach(Array(0..<stream.batchCount)) { k in
            let b = stream.batch(k)
            let r = loss(inputs: b.inputs, targets: b.targets, steps: b.steps, batch: stream.batchSize, initial: state,
                         training: false, rng: &unused)
            total += r.loss * Double(r.count)
            count += r.count
            state = r.outputs
        }
        return (count > 0 ? total / Double(count) : .nan, count)
    }

    // MARK: - Checkpoints

    /// Writes the model (weights, config, vocabulary) to `path` atomically.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try Checkpoint.write(kind: Self.kind, config: configJSON, vocabulary: vocabulary.tokens, extra: extra,
                             tensors: namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
    }

    /// The configuration as JSON, as stored in checkpoints.
    public var configJSON: String { canonicalJSON(config) }

    /// Rebuilds a model from a checkpoint written by ``save(to:extra:)`` (or by
    /// Scripts/torch_interop.py from a PyTorch model).
    public convenience init(checkpoint: Checkpoint, ignoringPrefixes: [String] = []) throws {
        try checkpoint.require(kind: Self.kind)
        let config = try checkpoint.decodeConfig(LanguageModelConfig.self)
        try checkpoint.validate(config)
        try checkpoint.requireParameterCount(config.parameterCount, ignoringPrefixes: ignoringPrefixes)
        guard let tokens = checkpoint.vocabulary else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary", reason: "missing")
        }
        guard tokens.count == config.vocabularySize else {
            throw CheckpointError.badMetadata(path: checkpoint.path, key: "vocabulary",
                                              reason: "has \(tokens.count) tokens, the config says \(config.vocabularySize)")
        }
        var rng = SeededRNG(seed: 0)
        self.init(config: config, vocabulary: try checkpoint.vocabulary(tokens), rng: &rng)
        try checkpoint.load(into: namedParameters, ignoringPrefixes: ignoringPrefixes)
    }

    /// Loads the model saved at `path`.
    public convenience init(contentsOf path: String) throws {
        try self.init(checkpoint: try Checkpoint.read(path))
    }
}
