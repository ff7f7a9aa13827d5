import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn explain`: pictures of what happens inside a recurrent network.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what happens inside a recurrent network, as a self-contained HTML page.",
            subcommands: [ExplainActivations.self, ExplainGradients.self])
    }
}

/// `rnn explain activations`: the text coloured by units, unit ranking, gate saturation.
struct ExplainActivations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Colour a text by a unit's memory cell, output or gate; rank units; show gate saturation.",
        discussion: """
        Works with language models (character or word level) and sequence classifiers (one input per line; \
        the page also shows which tokens moved each prediction most).
        Examples:
          rnn explain activations --model shakespeare.safetensors --text sonnet.txt \\
              --out cells.html
          rnn explain activations --model names.safetensors --text some-names.txt \\
              --out names.html
        """)

    @OptionGroup var modelFile: ModelFileOption
    @OptionGroup var threads: ThreadsOption
    @Option(help: "The text to run the model over (a file path or NAME/FILE of a data set).")
    var text: String
    @Option(help: "Where to write the page.")
    var out: String
    @Option(help: "Use at most this many tokens of the text (characters or words; at most 5000).")
    var maxTokens = 1000

    /// The longest line (one example) a classifier is explained on.
    static let maxClassifierLineTokens = 300

    func validate() throws {
        // The page holds every unit's value at every token: 5,000 tokens of a 2 x 512 LSTM make about 30 MB.
        guard maxTokens >= 1 && maxTokens <= 5000 else { throw ValidationError("--max-tokens must lie in 1...5000, got \(maxTokens)") }
        if out == modelFile.path || out == text { throw ValidationError("--out must differ from --model and --text") }
    }

    func run() throws {
        try userFacing {
            let path = try DataCatalog.resolve(text)
            let lock = try HTMLPage.claim(out, inputs: [("--model", modelFile.path), ("--text", path)])
            defer { lock.release() }
            let checkpoint = try Checkpoint.read(modelFile.path)
            let content = try TextFile.read(path)
            let recording: ActivationRecording
            let describe: String
            switch checkpoint.kind {
            case LanguageModel.kind:
                let lm = try LanguageModel(checkpoint: checkpoint)
                let tokens = lm.config.level.tokens(content)
                let kept = lm.config.level == .char ? String(String.UnicodeScalarView(content.unicodeScalars.prefix(maxTokens)))
                    : Self.firstWords(content, maxTokens)
                if tokens.count > maxTokens { print("using the first \(maxTokens) of \(tokens.count) tokens (--max-tokens)") }
                recording = ActivationRecording(lm, text: kept)
                let c = lm.config
                describe = "\(modelFile.path): \(c.level)-level language model, \(c.layers) x \(c.cell) \(c.hiddenSize), vocabulary \(c.vocabularySize)"
            case SequenceClassifier.kind:
                let classifier = try SequenceClassifier(checkpoint: checkpoint)
                // Each line is one example, and measuring which tokens moved its prediction runs it once
                // per token left out: cost grows with the square of a line's length, so long lines are cut.
                var lines: [String] = [], count = 0, cut = 0
                let tokenizer = classifier.config.tokenizer
                for line in content.split(separator: "\n") where count < maxTokens {
                    var tokens = tokenizer.tokens(String(line))
                    let room = min(Self.maxClassifierLineTokens, maxTokens - count)
                    if tokens.count > room {
                        tokens = Array(tokens.prefix(room))
                        cut += 1
                        lines.append(tokens.joined(separator: tokenizer == .char ? "" : " "))
                    } else {
                        lines.append(String(line))
                    }
                    count += tokens.count
                }
                if cut > 0 {
                    print("\(path): \(cut) line(s) cut to their first \(Self.maxClassifierLineTokens) tokens (or what --max-tokens left)")
                }
                recording = ActivationRecording(classifier, text: lines.joined(separator: "\n"))
                let c = classifier.config
                describe = "\(modelFile.path): sequence classifier (\(c.tokenizer) tokens), \(c.layers) x \(c.bidirectional ? "bidirectional " : "")\(c.cell) \(c.hiddenSize), \(c.labels.count) labels"
            default:
                throw UserFacingError(description: "\(modelFile.path): holds a \(checkpoint.kind.replacingOccurrences(of: "_", with: " ")); `rnn explain activations` can explain a language model or a sequence classifier")
            }
            if recording.stepCount == 0 {
                throw DataError.malformed(path: path, line: 1, expected: "text with tokens in the model's vocabulary", found: "none")
            }
            let unknown = recording.known.filter { !$0 }.count
            if unknown > 0 {
                let examples = Array(Set(recording.tokens.indices.filter { !recording.known[$0] }.map { recording.tokens[$0].debugDescription })).sorted().prefix(5)
                print("\(path): \(unknown) token(s) outside the model's vocabulary (\(examples.joined(separator: ", "))), marked on the page")
            }
            let page = ActivationsPage(recording: recording, modelDescription: describe, textDescription: path)
            try HTMLPage.write(page.page.html, to: out)
            print("wrote \(out): \(recording.tokens.count) tokens, \(recording.passes.count) layer(s)")
        }
    }

    /// The text up to and including its `n`th word (whitespace-separated).
    static func firstWords(_ text: String, _ n: Int) -> String {
        var count = 0, inWord = false
        for i in text.indices {
            let space = text[i] == " " || text[i] == "\t" || text[i] == "\n"
            if !space && !inWord { count += 1; if count > n { return String(text[..<i]) } }
            inWord = !space
        }
        return text
    }
}

/// `rnn explain gradients`: vanishing and exploding gradients, measured.
struct ExplainGradients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradients",
        abstract: "Plot |dLoss/dh_t| against the distance from the loss for RNN, LSTM and GRU, untrained and trained.",
        discussion: """
        Uses the long-range recall task (a symbol, then distractors, then the question). The page also shows \
        an exploding vanilla RNN (recurrent weights scaled up) and what clipping by global norm does to it. \
        With --model and --text, it measures a trained language model on a text instead, against the same \
        architecture untrained.
        Examples:
          rnn explain gradients --out grads.html
          rnn explain gradients --cell rnn --cell lstm --distance 100 --steps 500 \\
              --out grads.html
          rnn explain gradients --model shakespeare.safetensors --text passage.txt \\
              --length 200 --out grads.html
        """)

    @Option(help: "A cell to include: rnn, lstm or gru (repeat for several; default all three).")
    var cell: [CellKind] = []
    @Option(help: "Distractor steps between the symbol and the question.")
    var distance = 50
    @Option(help: "Training steps (batch 32) for the trained curves.")
    var steps = 300
    @Option(help: "Hidden units.")
    var hidden = 32
    @Option(help: "The factor on W_hh of the exploding vanilla RNN (0: leave that part out).")
    var explode: Float = 6
    @OptionGroup var seeding: SeedOption
    @OptionGroup var threads: ThreadsOption
    @Option(help: "Measure this language model instead (with --text), against the same architecture untrained.")
    var model: String?
    @Option(help: "With --model: the text the model reads (a file path or NAME/FILE of a data set).")
    var text: String?
    @Option(help: "With --model: how many tokens of the text the model reads before the prediction.")
    var length = 100
    @Option(help: "Where to write the page.")
    var out: String

    func validate() throws {
        if (model == nil) != (text == nil) { throw ValidationError("--model and --text go together") }
        guard length >= 1 && length <= 10_000 else { throw ValidationError("--length must lie in 1...10000, got \(length)") }
        if out == model || out == text { throw ValidationError("--out must differ from --model and --text") }
        // Bounds that keep the 256-sequence measuring batch's trace under about 1 GB.
        guard distance >= 1 && distance <= 500 else { throw ValidationError("--distance must lie in 1...500, got \(distance)") }
        guard steps >= 0 && steps <= 100_000 else { throw ValidationError("--steps must lie in 0...100000, got \(steps)") }
        guard hidden >= 1 && hidden <= 256 else { throw ValidationError("--hidden must lie in 1...256, got \(hidden)") }
        guard explode >= 0 && explode <= 100 else { throw ValidationError("--explode must lie in 0...100, got \(explode)") }
    }

    func runOnModel(_ model: String, _ text: String) throws {
        let checkpoint = try Checkpoint.read(model)
        guard checkpoint.kind == LanguageModel.kind else {
            throw UserFacingError(description: "\(model): holds a \(checkpoint.kind.replacingOccurrences(of: "_", with: " ")); `rnn explain gradients --model` can measure a language model")
        }
        let lm = try LanguageModel(checkpoint: checkpoint)
        let path = try DataCatalog.resolve(text)
        let tokens = lm.config.level.tokens(try TextFile.read(path))
        let ids = tokens.compactMap { lm.vocabulary.id($0) ?? lm.vocabulary.unknownID }.prefix(length + 1)
        guard ids.count >= 2 else {
            throw DataError.malformed(path: path, line: 1, expected: "at least 2 tokens the model knows", found: "\(ids.count)")
        }
        if ids.count < tokens.prefix(length + 1).count { print("\(path): tokens outside the model's vocabulary were skipped") }
        let c = lm.config
        let page = GradientsPage.forModel(lm, ids: Array(ids), modelDescription: "\(model): \(c.level)-level language model, \(c.layers) x \(c.cell) \(c.hiddenSize)",
                                          textDescription: path, seed: seeding.seed)
        try HTMLPage.write(page.html, to: out)
        print("wrote \(out): \(ids.count - 1) tokens read, \(c.layers) layer(s)")
    }

    func run() throws {
        try userFacing {
            // Fail on an unwritable path before minutes of training; hold the page until it is written.
            let lock = try HTMLPage.claim(out, inputs: [model.map { ("--model", $0) }, text.map { ("--text", $0) }].compactMap { $0 })
            defer { lock.release() }
            if let model, let text { return try runOnModel(model, text) }
            var s = GradientsPage.Settings()
            if !cell.isEmpty { s.cells = cell.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
            s.distractors = distance
            s.steps = steps
            s.hidden = hidden
            s.explodeScale = explode
            s.seed = seeding.seed
            let start = Date()
            let page = GradientsPage(settings: s) { print($0) }
            try HTMLPage.write(page.page.html, to: out)
            for (u, t) in zip(page.results.untrained, page.results.trained) {
                print(String(format: "%@: |dL/dh| at distance %d / at 0: untrained %.3g, trained %.3g; accuracy %.2f -> %.2f",
                             u.cell.description, distance, (u.m.norms.last ?? 0) / max(u.m.norms.first ?? 1, 1e-300),
                             (t.m.norms.last ?? 0) / max(t.m.norms.first ?? 1, 1e-300), u.m.accuracy, t.m.accuracy))
            }
            if let e = page.results.exploding {
                print(String(format: "exploding RNN (W_hh x %g): |dL/dh| at distance %d / at 0: %.3g; parameter gradient norm %.3g",
                             Double(explode), distance, (e.norms.last ?? 0) / max(e.norms.first ?? 1, 1e-300), e.parameterGradientNorm))
            }
            print(String(format: "wrote %@ in %.1f s", out, Date().timeIntervalSince(start)))
        }
    }
}
