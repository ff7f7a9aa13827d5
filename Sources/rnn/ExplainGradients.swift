import ArgumentParser
import Foundation
import Recurrent

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
