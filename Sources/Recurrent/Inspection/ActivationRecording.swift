/// A model run over a text with every pass's per-step internals kept: the
/// numbers behind `rnn explain activations`.
///
/// Tokens the model's vocabulary lacks are kept for display and marked: a
/// model with `<unk>` reads them as `<unk>`; one without skips them (the state
/// carries over), so they have no values.
public struct ActivationRecording: Sendable {
    /// Every token of the text, in order.
    public let tokens: [String]
    /// Whether each token is in the model's vocabulary.
    public let known: [Bool]
    /// For each token, its step in ``passes`` (nil: skipped, no values).
    public let step: [Int?]
    /// Every pass's activations over the recorded steps (`[S, 1, ...]` with `S` steps).
    public let passes: [PassActivations]
    /// For a classifier: each line's token range, predicted label, its
    /// probability, and per token how much that probability drops when the
    /// token is removed (nil for tokens removed from the model's input).
    public let lines: [LinePrediction]
    /// Whether the tokens are words, shown with spaces between them (a language
    /// model's level; for a classifier, nil: read from the tokens).
    public let wordLevel: Bool?

    /// A classifier's prediction for one line of the text, and the tokens that moved it.
    public struct LinePrediction: Sendable {
        /// The line's tokens: indices into ``ActivationRecording/tokens``.
        public var tokens: Range<Int>
        /// The predicted label.
        public var label: String
        /// The predicted label's probability, in `[0, 1]`.
        public var probability: Double
        /// Per token of the line, the drop in ``probability`` when the token is left out (nil: not in the model's input).
        public var influence: [Double?]
    }

    /// Runs a language model over `text` as one stream (its tokens split as the model was trained).
    public init(_ model: LanguageModel, text: String) {
        self.init(model, tokens: model.config.level.tokens(text))
    }

    /// Runs a language model over `tokens` (as the model's level splits text) as one stream.
    public init(_ model: LanguageModel, tokens: [String]) {
        var known: [Bool] = [], step: [Int?] = [], ids: [Int] = []
        for token in tokens {
            let id = model.vocabulary.id(token)
            known.append(id != nil)
            if let id = id ?? model.vocabulary.unknownID {
                step.append(ids.count)
                ids.append(id)
            } else {
                step.append(nil)
            }
        }
        self.tokens = tokens
        self.known = known
        self.step = step
        if ids.isEmpty {
            passes = []
        } else {
            let e = model.embedding.forward(ids: ids, shape: [ids.count, 1]).output
            let r = model.rnn.forward(e)
            passes = model.rnn.activations(r.trace)
        }
        lines = []
        wordLevel = model.config.level == .word
    }

    /// Runs a classifier over each non-empty line of `text` separately, and
    /// measures which tokens moved each prediction (the drop in the predicted
    /// label's probability when the token is left out).
    public init(_ model: SequenceClassifier, text: String) {
        var tokens: [String] = [], known: [Bool] = [], step: [Int?] = [], lines: [LinePrediction] = []
        var perLine: [[PassActivations]] = []
        var steps = 0
        var rng = SeededRNG(seed: 0)
        let fallback = model.vocabulary.unknownID ?? model.vocabulary.id(Vocabulary.padding) ?? 0
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let lineTokens = model.config.tokens(String(line))
            guard !lineTokens.isEmpty else { continue }
            let first = tokens.count
            var ids: [Int] = [], where_: [Int?] = []
            for token in lineTokens {
                let id = model.vocabulary.id(token)
                known.append(id != nil)
                if let id = id ?? model.vocabulary.unknownID { where_.append(ids.count); ids.append(id) } else { where_.append(nil) }
            }
            if ids.isEmpty { ids = [fallback] }
            tokens += lineTokens
            step += where_.map { $0.map { $0 + steps } }
            // Activations of the line on its own.
            let e = model.embedding.forward(ids: ids, shape: [ids.count, 1]).output
            perLine.append(model.rnn.activations(model.rnn.forward(e).trace))
            steps += ids.count
            // The full line and the line without each token, in one batch.
            let variants = [ids] + ids.indices.map { i -> [Int] in
                let rest = Array(ids[..<i] + ids[(i + 1)...])
                return rest.isEmpty ? [fallback] : rest
            }
            let logits = model.loss(variants, rng: &rng).outputs
            let probs = (0..<variants.count).map { b in Self.softmax(logits, row: b) }
            let c = probs[0].indices.max { probs[0][$0] < probs[0][$1] }!
            let influence = where_.map { $0.map { probs[0][c] - probs[$0 + 1][c] } }
            lines.append(LinePrediction(tokens: first..<tokens.count, label: model.config.labels[c], probability: probs[0][c],
                                        influence: influence))
        }
        self.tokens = tokens
        self.known = known
        self.step = step
        self.passes = perLine.isEmpty ? [] : PassActivations.concatenated(perLine)
        self.lines = lines
        wordLevel = nil
    }

    static func softmax(_ logits: Tensor, row b: Int) -> [Double] {
        let C = logits.shape[1]
        let row = (0..<C).map { Double(logits.scalars[b * C + $0]) }
        let m = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The number of recorded steps.
    public var stepCount: Int { passes.first?.outputs.shape[0] ?? 0 }

    /// The tokens that have a step, in step order.
    public var steppedTokens: [String] { tokens.indices.compactMap { step[$0] == nil ? nil : tokens[$0] } }
}

import Foundation

extension PassActivations {
    /// Runs of the same passes (each `[T_k, 1, ...]`) joined along time into `[ΣT_k, 1, ...]`.
    static func concatenated(_ runs: [[PassActivations]]) -> [PassActivations] {
        runs[0].indices.map { k in
            let parts = runs.map { $0[k] }
            func join(_ ts: [Tensor]) -> Tensor {
                Tensor(shape: [ts.reduce(0) { $0 + $1.shape[0] }, 1, ts[0].shape[2]], scalars: ts.flatMap(\.scalars))
            }
            let p = parts[0]
            return PassActivations(layer: p.layer, direction: p.direction, cell: p.cell, gates: join(parts.map(\.gates)),
                                   cells: p.cells == nil ? nil : join(parts.map { $0.cells! }), outputs: join(parts.map(\.outputs)))
        }
    }
}
