import ArgumentParser
import Foundation
import Recurrent

/// `rnn train lm`'s regularisation and output-layer options, with the
/// defaults of each level (``wordDefaults`` for words; characters keep the
/// plain model: none of these unless asked for).
struct LanguageModelOptions: ParsableArguments {
    @Option(help: "Dropout on the embedded input (default: --dropout).")
    var inputDropout: Float?
    @Option(help: "Dropout on the top layer's output, before the output layer (default: --dropout).")
    var outputDropout: Float?
    @Option(help: "Whole-word dropout on the embedding table (AWD-LSTM's dropoute; default: 0).")
    var embeddingDropout: Float?
    @Option(help: "DropConnect on each hidden-to-hidden matrix W_hh, one mask per batch (AWD-LSTM's wdrop; default: 0).")
    var weightDrop: Float?
    @Option(help: "Recurrent dropout: h(t-1) masked where it enters W_hh h(t-1), one mask per sequence, the same at every step (Keras' recurrent_dropout; default: 0).")
    var recurrentDropout: Float?
    @Flag(help: "Layer-normalised LSTM (Ba et al. 2016): LN on W_ih x and on W_hh h (each over the 4H gate inputs) and on c before the output tanh; --cell lstm only.")
    var layerNorm = false
    @Flag(inversion: .prefixedNo, help: "Locked (variational) dropout: one mask per sequence, the same at every step (default: off; at 0.2 it learned more slowly than a fresh mask per step on WikiText-2, docs/results.md).")
    var lockedDropout: Bool?
    @Flag(inversion: .prefixedNo, help: "Tie the output layer to the embedding table, with a projection when --embedding differs from --hidden (needs the full softmax; default: on for words with the full softmax, off otherwise).")
    var tie: Bool?
    @Option(help: "Adaptive softmax cutoffs, e.g. 2000,10000 (classes sorted by frequency), or none for the full softmax (default: 2000,10000 for words with a vocabulary above 20,000; none otherwise).")
    var adaptive: String?
    @Option(help: "The adaptive softmax's division value: cluster k projects to hidden / div^(k+1) features (default: 2 for words, 4 otherwise).")
    var adaptiveDiv: Float?

    /// The word-level defaults, chosen from the WikiText-2 and Penn Treebank runs in docs/results.md.
    enum WordDefaults {
        static let hidden = 200, layers = 2, seq = 35, batch = 20
        static let dropout: Float = 0.2, embeddingDropout: Float = 0
        static let adaptiveCutoffs = [2000, 10000], adaptiveAboveVocabulary = 20000, adaptiveDiv: Float = 2
        /// A full softmax is tied to the embedding (Press & Wolf 2017; Inan et al. 2017): on Penn Treebank it
        /// ended lower than untied in every pair of runs in docs/results.md.
        static let tieFullSoftmax = true
        /// Plain SGD at 20 with the gradient clipped to 0.25, as Zaremba et al. (2014) and PyTorch's word-level example.
        static let training = TrainingDefaults(optimizer: .sgd, learningRate: 20, clip: 0.25,
                                               schedule: .reduceOnPlateau(factor: 0.25, patience: 0, minimum: 0))
    }

    func validate() throws {
        for (name, p) in [("--input-dropout", inputDropout), ("--output-dropout", outputDropout),
                          ("--embedding-dropout", embeddingDropout), ("--weight-drop", weightDrop),
                          ("--recurrent-dropout", recurrentDropout)] {
            if let p, !(p >= 0 && p < 1) { throw ValidationError("\(name) must lie in [0, 1), got \(p)") }
        }
        if let adaptiveDiv { try Check.positive(adaptiveDiv, "--adaptive-div") }
        _ = try parsedCutoffs()
        if tie == true, let cutoffs = try parsedCutoffs(), !cutoffs.isEmpty {
            throw ValidationError("--tie needs the full softmax: give --adaptive none, or leave out --tie")
        }
    }

    /// nil: not given; empty: `none`.
    func parsedCutoffs() throws -> [Int]? {
        guard let adaptive else { return nil }
        if adaptive == "none" { return [] }
        let parts = adaptive.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 1 }) else {
            throw ValidationError("--adaptive \(adaptive): expected increasing positive cutoffs separated by commas (e.g. 2000,10000), or none")
        }
        let cutoffs = parts.map { $0! }
        if zip(cutoffs, cutoffs.dropFirst()).contains(where: { $0 >= $1 }) {
            throw ValidationError("--adaptive \(adaptive): the cutoffs must increase")
        }
        return cutoffs
    }

    /// Sets the regularisation and output layer of `config` for `level`.
    func apply(to config: inout LanguageModelConfig) throws {
        let word = config.level == .word
        config.inputDropout = inputDropout
        config.outputDropout = outputDropout
        config.embeddingDropout = embeddingDropout ?? (word ? WordDefaults.embeddingDropout : nil)
        config.weightDrop = weightDrop
        config.recurrentDropout = recurrentDropout
        if layerNorm {
            guard config.cell == .lstm else {
                throw ValidationError("--layer-norm is implemented for the LSTM only: give --cell lstm, or leave out --layer-norm (got --cell \(config.cell.rawValue))")
            }
            config.layerNorm = true
        }
        config.lockedDropout = lockedDropout
        let cutoffs = try parsedCutoffs()
            ?? (word && config.vocabularySize > WordDefaults.adaptiveAboveVocabulary && tie != true ? WordDefaults.adaptiveCutoffs : [])
        // Untied is stored as no field at all, so a run begun before tying became the default resumes with --no-tie.
        config.tied = (tie ?? (word && cutoffs.isEmpty && WordDefaults.tieFullSoftmax)) ? true : nil
        if !cutoffs.isEmpty {
            config.adaptiveCutoffs = cutoffs
            config.adaptiveDivValue = adaptiveDiv ?? (word ? WordDefaults.adaptiveDiv : 4)
        }
        try Check.settings(try config.validate())
    }
}

extension TrainLM {
    /// `--level`, or the level of the named data set (word for wikitext-2 and ptb, also as NAME/FILE), or characters.
    var textLevel: TextLevel { level ?? data.flatMap { DataCatalog.entry(named: $0)?.level } ?? .char }
    /// `--seq`, or the level's default.
    var sequenceLength: Int { seq ?? (textLevel == .word ? LanguageModelOptions.WordDefaults.seq : 64) }
    /// `--batch`, or the level's default.
    var batchSize: Int { batch ?? (textLevel == .word ? LanguageModelOptions.WordDefaults.batch : 32) }
    /// The optimizer, learning rate, clipping and schedule unless the options say otherwise.
    var trainingDefaults: TrainingDefaults { textLevel == .word ? LanguageModelOptions.WordDefaults.training : TrainingDefaults() }

    /// The word-level defaults and why, for `rnn train lm --help`.
    static var wordDefaultsText: String {
        typealias W = LanguageModelOptions.WordDefaults
        return """
        Word-level defaults (--level word), chosen from WikiText-2 and Penn Treebank runs (docs/results.md): \(W.layers) x LSTM \(W.hidden), \
        embedding = hidden, batch \(W.batch) x \(W.seq), dropout \(W.dropout) (a fresh mask at every step) on the input, between \
        layers and on the output, an adaptive softmax with cutoffs \(W.adaptiveCutoffs.map(String.init).joined(separator: ",")) and \
        div \(Int(W.adaptiveDiv)) when the vocabulary exceeds \(W.adaptiveAboveVocabulary) words (otherwise a full softmax \
        tied to the embedding), and plain SGD at lr \(Int(W.training.learningRate ?? 0)) \
        with gradients clipped to \(W.training.clip) and the rate divided by 4 when validation stops improving \
        (plateau:0.25:0, validated each epoch), the embedding drawn from U(-0.1, 0.1). Why: in a 30-minute budget \
        this size sees about eleven epochs of WikiText-2 on two cores (test perplexity 141.86) and about fourteen of Penn Treebank \
        (101.11; tied beat untied in every pair tried); Adam learned more slowly \
        per epoch here, as did locked dropout at 0.2; the full softmax over a large vocabulary costs most of each step. \
        Given two hours: --hidden 650 --dropout 0.5 --epochs 15 --schedule decay:9:0.5 reached test perplexity 79.65 on \
        Penn Treebank (Zaremba et al.'s medium model: 82.7). \
        Characters keep their defaults (2 x 512, batch 32, no dropout, full softmax, adam 2e-3, clip 5).
        """
    }
}

extension LanguageModelConfig {
    /// One line for the training log: the regularisers and output layer in force.
    var regularisationSummary: String {
        var parts = ["dropout in/between/out \(inputDropout ?? dropout)/\(dropout)/\(outputDropout ?? dropout)\(lockedDropout == true ? " locked" : "")"]
        if let e = embeddingDropout, e > 0 { parts.append("embedding dropout \(e)") }
        if let w = weightDrop, w > 0 { parts.append("weight drop \(w)") }
        if let r = recurrentDropout, r > 0 { parts.append("recurrent dropout \(r)") }
        if layerNorm == true { parts.append("layer-normalised LSTM") }
        if tied == true { parts.append(embeddingSize == hiddenSize ? "tied output" : "tied output after a \(hiddenSize) -> \(embeddingSize) projection") }
        if let cutoffs = adaptiveCutoffs { parts.append("adaptive softmax \(cutoffs.map(String.init).joined(separator: ",")) (div \(adaptiveDivValue ?? 4))") }
        else { parts.append("full softmax") }
        return "regularisation: " + parts.joined(separator: ", ")
    }
}
