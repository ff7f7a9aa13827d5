import Foundation
import Testing
@testable import Recurrent

/// Every kind of page, opened in headless Chromium: it renders (not blank),
/// has the expected elements, and logs nothing to the console.
/// Screenshots go to a temporary folder, out of git.
@Suite(.serialized, .enabled(if: Chromium.available, "needs Debian's chromium (.ci/run installs it)"))
struct PageTests {
    static func curvesPage(_ dir: String) throws -> String {
        for (name, scale) in [("run-a", 1.0), ("run-b", 0.8)] {
            var lines: [String] = []
            for step in stride(from: 10, through: 200, by: 10) {
                let loss = 3 * scale * exp(-Double(step) / 80) + 1
                lines.append(#"{"step":\#(step),"time":\#(Double(step) * 0.05),"loss":\#(loss),"lr":0.002,"grad_norm":\#(1 + Double(step % 30) / 10),"tokens_per_s":9000}"#)
                if step % 50 == 0 { lines.append(#"{"step":\#(step),"time":\#(Double(step) * 0.05),"valid_loss":\#(loss + 0.1),"accuracy":\#(Double(step) / 250)}"#) }
            }
            lines.insert("{broken", at: 3)
            try lines.joined(separator: "\n").write(toFile: "\(dir)/\(name).jsonl", atomically: true, encoding: .utf8)
        }
        let curves = TrainingCurves(runs: try ["run-a", "run-b"].map { ($0, try MetricsLog(contentsOf: "\(dir)/\($0).jsonl")) }, axis: .time, logY: true)
        let path = dir + "/curves.html"
        try curves.page().write(to: path)
        return path
    }

    @Test("every page kind renders in headless Chromium with its elements and no console message")
    func pagesRenderInChromium() throws {
        let dir = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var shots: [String] = []

        // 1. Training curves: loss (training + validation, two runs), accuracy, lr, gradient norm, throughput.
        let curves = try Chromium.render(try Self.curvesPage(dir), dir: dir)
        #expect(curves.count("chart") == 5, "curves: \(curves.count("chart")) charts")
        #expect(curves.count("series") == 2 * 2 + 4 * 2)
        #expect(curves.count("legend-item") == 4 + 4 * 2)
        #expect(curves.dom.contains("1 broken line(s) skipped (line 4)"))
        shots.append(curves.screenshot)

        // 2. Gradients: untrained, trained, exploding.
        var settings = GradientsPage.Settings()
        settings.hidden = 8; settings.distractors = 12; settings.steps = 20
        let gradsPath = dir + "/gradients.html"
        try GradientsPage(settings: settings).page.write(to: gradsPath)
        let grads = try Chromium.render(gradsPath, dir: dir)
        #expect(grads.count("chart") == 3 && grads.count("series") == 3 + 3 + 2)
        shots.append(grads.screenshot)

        // 3. Activations of a character LM, with characters outside its vocabulary.
        let text = "abc de\nxx bad\naa (bb) \"cc\"\n"
        let lm = ActivationRecording(InsideTests.plantedModel(), text: text)
        let lmPath = dir + "/activations-lm.html"
        try ActivationsPage(recording: lm, modelDescription: "planted LSTM", textDescription: "test").page.write(to: lmPath)
        let cells = try Chromium.render(lmPath, dir: dir)
        #expect(cells.count("t") == text.unicodeScalars.count, "one span per character")
        #expect(cells.count("oov") == 6, "x, x, (, ), \", \" are outside the vocabulary")
        #expect(cells.dom.contains("id=\"quantity\"") && cells.dom.components(separatedBy: "<option").count - 1 == 1 + 6)
        #expect(cells.count("ranking") == 1 && cells.count("unit") >= 5 && cells.count("heatmap") == 1)
        #expect(cells.dom.contains("unit 5 of 8") || cells.dom.contains("of 8"), "the pickers drew a unit")
        shots.append(cells.screenshot)

        // 4. A classifier: the tokens that moved each prediction.
        var rng = SeededRNG(seed: 3)
        let config = SequenceClassifierConfig(tokenizer: .char, lowercase: false, cell: .gru, vocabularySize: 6, embeddingSize: 4, hiddenSize: 5,
                                              layers: 1, bidirectional: true, dropout: 0, pooling: .last, labels: ["one", "two", "three"])
        let classifier = SequenceClassifier(config: config, vocabulary: Vocabulary(tokens: ["<pad>", "<unk>", "a", "b", "c", "d"]), rng: &rng)
        let names = ActivationRecording(classifier, text: "abcd\nddca\nbaz\n")
        #expect(names.lines.count == 3 && names.passes.count == 2)
        let classPath = dir + "/activations-classifier.html"
        try ActivationsPage(recording: names, modelDescription: "tiny classifier", textDescription: "test").page.write(to: classPath)
        let moved = try Chromium.render(classPath, dir: dir)
        #expect(moved.dom.contains("Which tokens moved each prediction") && moved.dom.components(separatedBy: "<tr><td class=\"text\"").count - 1 == 3)
        #expect(moved.dom.contains("layer 1 reverse"))
        shots.append(moved.screenshot)

        // 5. The generic heatmap (attention maps will use it): a made-up matrix with labels.
        var heat = HTMLPage(title: "Heatmap")
        heat.body.append(Heatmap(title: "made up", values: [[0.1, 0.7, 0.2, 0], [0.5, 0.5, 0, 0], [0, 0.1, 0.1, 0.8]],
                                 rowLabels: ["Ein", "Hund", "läuft"], columnLabels: ["A", "dog", "<runs>", "."], valueLabel: "weight").svg)
        let heatPath = dir + "/heatmap.html"
        try heat.write(to: heatPath)
        let hm = try Chromium.render(heatPath, dir: dir, width: 500, height: 400)
        #expect(hm.count("cell") == 12 && hm.count("row-label") == 3 && hm.count("column-label") == 4 && hm.count("colour-scale") == 1)
        #expect(hm.dom.contains("&lt;runs&gt;"), "labels are escaped")
        shots.append(hm.screenshot)

        for page in [curves, grads, cells, moved, hm] {
            #expect(page.console.isEmpty, "console: \(page.console)")
            #expect(page.dom.contains("data-ready=\"1\"") && !page.dom.contains("id=\"page-error\""), "the page's script ran without error")
        }
        let ink = try Chromium.ink(shots, dir: dir)
        #expect(ink.count == shots.count, "every screenshot was read")
        for (shot, i) in zip(shots, ink) {
            #expect(i.fraction > 0.005 && i.colours > 20, "\(shot): \(i.fraction) of pixels inked, \(i.colours) colours")
        }
    }

    @Test("a page whose script fails shows it, and the check sees it")
    func brokenScriptIsCaught() throws {
        let dir = TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var page = HTMLPage(title: "broken")
        page.script = "undefinedFunction();"
        try page.write(to: dir + "/broken.html")
        let r = try Chromium.render(dir + "/broken.html", dir: dir, width: 400, height: 300)
        #expect(r.dom.contains("id=\"page-error\"") && !r.dom.contains("data-ready=\"1\""))
        #expect(!r.console.isEmpty, "Chromium logged the uncaught error")
    }
}
