import Foundation

/// The page `rnn explain gradients` writes: `|dL/dh_t|` against the distance
/// from the loss for several cells, untrained and trained side by side, and
/// an exploding case with and without clipping by global norm.
public struct GradientsPage {
    /// What to measure.
    public struct Settings: Sendable {
        /// The cells compared.
        public var cells: [CellKind] = [.rnnTanh, .lstm, .gru]
        /// Hidden units per cell.
        public var hidden = 32
        /// Distractor steps of the recall task: how far back the gradient must reach.
        public var distractors = 50
        /// Training steps for the "trained" curves.
        public var steps = 300
        /// The factor on `W_hh` of the exploding vanilla RNN.
        public var explodeScale: Float = 6
        /// The clipping threshold shown against it.
        public var clipNorm: Double = 5
        /// The seed of initialisation, data and training.
        public var seed: UInt64 = 1
        /// The defaults: RNN, LSTM and GRU of 32 units, 50 distractors, 300 training steps.
        public init() {}
    }

    /// The measurements, made when the page is built.
    public struct Results: Sendable {
        /// Each cell's measurement at initialisation.
        public var untrained: [(cell: CellKind, m: GradientFlow.Measurement)] = []
        /// Each cell's measurement after training.
        public var trained: [(cell: CellKind, m: GradientFlow.Measurement)] = []
        /// The vanilla RNN with `W_hh` scaled up, nil until measured.
        public var exploding: GradientFlow.Measurement? = nil
    }

    /// What was measured.
    public let settings: Settings
    /// The measurements.
    public let results: Results

    /// Runs every measurement (the training takes most of the time: about `steps` batches of 32 per cell).
    public init(settings: Settings, progress: (String) -> Void = { _ in }) {
        self.settings = settings
        var results = Results()
        var evalRNG = SeededRNG(seed: settings.seed &+ 100)
        let (x, y) = LongRangeRecall.batch(256, distractors: settings.distractors, rng: &evalRNG)
        for cell in settings.cells {
            let flow = GradientFlow(cell: cell, hidden: settings.hidden, distractors: settings.distractors, chrono: true, seed: settings.seed)
            results.untrained.append((cell, flow.measure(x, labels: y)))
            progress("\(cell): training \(settings.steps) steps on recall across \(settings.distractors) steps")
            flow.train(steps: settings.steps, seed: settings.seed &+ 1)
            results.trained.append((cell, flow.measure(x, labels: y)))
        }
        if settings.explodeScale > 0 {
            let flow = GradientFlow(cell: .rnnTanh, hidden: settings.hidden, distractors: settings.distractors, chrono: false, seed: settings.seed)
            flow.scaleRecurrentWeights(by: settings.explodeScale)
            var small = SeededRNG(seed: settings.seed &+ 200)
            var (xs, ys) = LongRangeRecall.batch(256, distractors: settings.distractors, rng: &small)
            xs.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] *= 0.01 } }   // faint inputs keep tanh in its linear range
            results.exploding = flow.measure(xs, labels: ys)
        }
        self.results = results
    }

    static func name(_ cell: CellKind) -> String { cell == .rnnTanh ? "vanilla RNN (tanh)" : cell.description }

    static func series(_ cell: CellKind, _ m: GradientFlow.Measurement, index: Int) -> Chart.Series {
        Chart.Series(name: name(cell), points: m.norms.enumerated().map { (Double($0.offset), $0.element) },
                     colourIndex: index)
    }

    /// The page: one chart of `|dL/dh_t|` against distance for the untrained and the trained cells, and the exploding case.
    public var page: HTMLPage {
        let s = settings, r = results
        var page = HTMLPage(title: "Inside the network: how far gradients travel back in time")
        page.body.append("<p class=\"meta\">" + escapeXML("""
            Task: recall the symbol shown at step 0 after \(s.distractors) distractor steps (\(s.distractors + 1) steps in all), \
            read from the final state; one layer of \(s.hidden) units and a linear read-out; loss: cross-entropy on the final step only; \
            measured on a held-out batch of 256 sequences. LSTM and GRU start from the chrono initialisation \
            (forget/update biases spread over the task's delay); the vanilla RNN from PyTorch's default. \
            Trained: \(s.steps) steps of Adam (learning rate 0.01, batch 32, clipping at global norm 5), seed \(s.seed).
            """) + "</p>")
        let all = (r.untrained + r.trained).flatMap { $0.m.norms }.filter { $0 > 0 && $0.isFinite }
        let yRange = (all.min() ?? 1e-10)...(all.max() ?? 1)
        func chart(_ title: String, _ rows: [(cell: CellKind, m: GradientFlow.Measurement)]) -> String {
            var c = Chart(title: title, xLabel: "distance from the loss (steps back in time)",
                          yLabel: "|dL/dh_t| (L2 norm over the batch)",
                          series: rows.map { Self.series($0.cell, $0.m, index: s.cells.firstIndex(of: $0.cell) ?? 0) }, logY: true)
            c.yRange = yRange
            c.width = 560
            return c.svg
        }
        page.section("Vanishing gradients: untrained and trained",
                     "Each curve is the size of the gradient that reaches the hidden state k steps before the loss. A straight falling line on this log scale is exponential decay: what reaches step 0 from the vanilla RNN is too small to teach it the first symbol, while the gated cells' memory lets the gradient through. Values below about 1e-38 are flushed to zero and not drawn.",
                     "<div class=\"charts\">" + chart("Untrained (at initialisation)", r.untrained) + chart("Trained (\(s.steps) steps)", r.trained) + "</div>")
        var rows = "<tr><th>cell</th><th>|dL/dh| at k = 0</th><th>at k = \(s.distractors)</th><th>ratio</th><th>recall accuracy untrained</th><th>trained</th></tr>"
        for (u, t) in zip(r.untrained, r.trained) {
            let n0 = t.m.norms.first ?? 0, nT = t.m.norms.last ?? 0
            rows += String(format: "<tr><td>%@</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td><td class=\"num\">%.2f</td><td class=\"num\">%.2f</td></tr>",
                           Self.name(u.cell), n0, nT, n0 > 0 ? nT / n0 : 0, u.m.accuracy, t.m.accuracy)
        }
        page.section("The numbers (trained networks)", "Chance accuracy is 0.25.", "<table>\(rows)</table>")
        if let e = r.exploding {
            let factor = min(1, s.clipNorm / max(e.parameterGradientNorm, 1e-12))
            var c = Chart(title: "Exploding: vanilla RNN with W_hh x \(tickLabel(Double(s.explodeScale)))",
                          xLabel: "distance from the loss (steps back in time)", yLabel: "|dL/dh_t| (L2 norm over the batch)",
                          series: [Chart.Series(name: "raw gradient", points: e.norms.enumerated().map { (Double($0.offset), $0.element) }, colourIndex: 1),
                                   Chart.Series(name: "after clipping to \(tickLabel(s.clipNorm))", points: e.norms.enumerated().map { (Double($0.offset), $0.element * factor) },
                                                style: .dashedLine, colourIndex: 0)],
                          logY: true)
            c.width = 560
            page.section("Exploding gradients, and what clipping does",
                         String(format: "With the recurrent weights multiplied by %@ (and faint inputs, so tanh stays in its linear range), each step back multiplies the gradient instead of shrinking it. The global norm of all parameter gradients is %.3g; clipping by global norm %@ rescales every gradient by %.3g, so the update is bounded while its direction, and the shape of this curve, stay the same.",
                                tickLabel(Double(s.explodeScale)), e.parameterGradientNorm, tickLabel(s.clipNorm), factor),
                         "<div class=\"charts\">" + c.svg + "</div>")
        }
        return page
    }
}

extension GradientsPage {
    /// A page for a given language model and text: `|dL/dh_t|` per layer against
    /// the distance from a loss on the last step, for the trained model and for
    /// the same architecture freshly initialised (seed `seed`).
    ///
    /// - Parameters:
    ///   - ids: the `T + 1` token ids read from the text: the model reads the first `T` and predicts the last.
    public static func forModel(_ model: LanguageModel, ids: [Int], modelDescription: String, textDescription: String, seed: UInt64) -> HTMLPage {
        precondition(ids.count >= 2, "GradientsPage.forModel needs at least 2 tokens")
        let inputs = Array(ids.dropLast()), target = ids.last!
        var rng = SeededRNG(seed: seed)
        let fresh = LanguageModel(config: model.config, vocabulary: model.vocabulary, rng: &rng)
        let trained = model.stateGradientNorms(ids: inputs, target: target)
        let untrained = fresh.stateGradientNorms(ids: inputs, target: target)
        var page = HTMLPage(title: "Inside the network: how far gradients travel back in time")
        page.body.append("<p class=\"meta\">" + escapeXML("""
            \(modelDescription). \(textDescription): the model reads \(inputs.count) tokens from a zero state and the loss is the \
            cross-entropy of its prediction of the next token at the last step only (\(String(format: "%.3f", trained.loss)) nats trained, \
            \(String(format: "%.3f", untrained.loss)) untrained). Untrained: the same architecture with PyTorch's default initialisation, seed \(seed).
            """) + "</p>")
        var series: [Chart.Series] = []
        for (l, norms) in trained.norms.enumerated() {
            series.append(Chart.Series(name: "layer \(l + 1), trained", points: norms.enumerated().map { (Double($0.offset), $0.element) }, colourIndex: l))
        }
        for (l, norms) in untrained.norms.enumerated() {
            series.append(Chart.Series(name: "layer \(l + 1), untrained", points: norms.enumerated().map { (Double($0.offset), $0.element) },
                                       style: .dashedLine, colourIndex: l))
        }
        var chart = Chart(title: "\(model.config.cell), \(model.config.layers) x \(model.config.hiddenSize)",
                          xLabel: "distance from the loss (tokens back in time)", yLabel: "|dL/dh_t| (L2 norm)", series: series, logY: true)
        chart.width = 760
        chart.height = 420
        var rows = "<tr><th>layer</th><th>|dL/dh| at k = 0</th><th>at k = \(inputs.count - 1)</th><th>ratio trained</th><th>ratio untrained</th></tr>"
        for l in trained.norms.indices {
            let t = trained.norms[l], u = untrained.norms[l]
            rows += String(format: "<tr><td>%d</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td></tr>",
                           l + 1, t.first ?? 0, t.last ?? 0, (t.last ?? 0) / max(t.first ?? 1, 1e-300), (u.last ?? 0) / max(u.first ?? 1, 1e-300))
        }
        page.section("Gradient of one prediction, back through the text",
                     "Each curve is the size of the gradient that reaches a layer's hidden state k tokens before the prediction. Values below about 1e-38 are flushed to zero and not drawn.",
                     "<div class=\"charts\">" + chart.svg + "</div><table>\(rows)</table>")
        return page
    }
}
