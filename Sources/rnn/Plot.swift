import ArgumentParser
import Foundation
import Recurrent

extension TrainingCurves.Axis: ExpressibleByArgument {}

extension RNN {
    /// `rnn plot`: training curves from metrics files.
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw training curves from metrics files as a self-contained HTML page (or a plain SVG).",
            discussion: """
            Loss (training and validation) and every other recorded metric (accuracy, perplexity, BLEU, \
            learning rate, gradient norm, throughput) against step or wall time; several files are overlaid \
            with a legend. Broken lines are skipped, counted and named.
            Examples:
              rnn plot run.jsonl --out curves.html
              rnn plot a.jsonl b.jsonl --x time --log --out compare.html
              rnn plot run.jsonl --svg --out curves.svg
            """)

        @Argument(help: "Metrics files written by `rnn train --metrics`.")
        var files: [String] = []
        @Option(help: "Where to write the page (or the SVG with --svg).")
        var out: String
        @Flag(help: "Write one plain SVG file instead of an HTML page.")
        var svg = false
        @Flag(help: "Logarithmic y axis for losses, perplexity, gradient norm and learning rate.")
        var log = false
        @Option(help: "The x axis: step or time (wall-clock seconds of training).")
        var x: TrainingCurves.Axis = .step

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one metrics file") }
            if files.contains(out) { throw ValidationError("--out \(out) is one of the metrics files; choose another path") }
        }

        func run() throws {
            try userFacing {
                let lock = try HTMLPage.claim(out, inputs: files.map { ("a metrics file", $0) })
                defer { lock.release() }
                let curves = try loadCurves(files, axis: x, logY: log) { print($0) }
                try HTMLPage.write(svg ? curves.svg : curves.page().html, to: out)
                print("wrote \(out): \(curves.charts.count) charts from \(files.count) file(s)")
            }
        }
    }
}

/// Reads each metrics file, reporting broken lines through `warn`, and names each run after its file.
func loadCurves(_ files: [String], axis: TrainingCurves.Axis, logY: Bool, warn: (String) -> Void) throws -> TrainingCurves {
    let stems = files.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    let runs = try files.enumerated().map { i, file -> (name: String, log: MetricsLog) in
        let log = try MetricsLog(contentsOf: file)
        for s in log.skipped.prefix(10) { warn("\(file):\(s.line): skipped: \(s.reason)") }
        if !log.skipped.isEmpty { warn("\(file): skipped \(log.skipped.count) broken line(s) of \(log.skipped.count + log.records.count)") }
        return (Set(stems).count == stems.count ? stems[i] : file, log)
    }
    return TrainingCurves(runs: runs, axis: axis, logY: logY)
}

/// `rnn train --plot`: redraws the page from the metrics file while training runs.
final class LivePlot {
    let metrics: String, page: String
    let lock: OutputLock
    var lastDraw = Date.distantPast
    var warned = false

    /// Claims the page (held until the final draw) and writes a first one at
    /// once, so an unwritable path fails before training starts.
    init(metrics: String, page: String, inputs: [(option: String, path: String)]) throws {
        self.metrics = metrics
        self.page = page
        lock = try HTMLPage.claim(page, inputs: inputs)
        var first = HTMLPage(title: "Training curves")
        first.body.append("<meta http-equiv=\"refresh\" content=\"5\"><p class=\"meta\">Waiting for the first line of \(escapeXML(metrics)).</p>")
        do { try HTMLPage.write(first.html, to: page) } catch { lock.release(); throw error }
    }

    deinit { lock.release() }

    /// Redraws at most once every two seconds, unless `final` (which also drops the reload).
    func draw(final: Bool = false) {
        guard final || Date().timeIntervalSince(lastDraw) >= 2 else { return }
        lastDraw = Date()
        do {
            let curves = try loadCurves([metrics], axis: .step, logY: false) { _ in }
            try HTMLPage.write(curves.page(refreshSeconds: final ? nil : 10).html, to: page)
        } catch {
            if !warned { print("--plot: cannot redraw \(page): \(error)") }
            warned = true
        }
    }
}
