/// Training curves from one or more metrics files: loss (training and
/// validation) and every other recorded metric against step or wall time,
/// runs overlaid with a legend.
package struct TrainingCurves: Sendable {
    /// What the x axis measures.
    package enum Axis: String, CaseIterable, Sendable {
        /// Optimizer steps.
        case step
        /// Seconds of training since the run started (the `time` field).
        case time
    }

    package var runs: [(name: String, log: MetricsLog)]
    package var axis: Axis
    /// Logarithmic y for the metrics that span decades (losses, perplexity, gradient norm, learning rate).
    package var logY: Bool

    package init(runs: [(name: String, log: MetricsLog)], axis: Axis = .step, logY: Bool = false) {
        self.runs = runs
        self.axis = axis
        self.logY = logY
    }

    /// The y axis label, with its unit, for a metric name.
    package static func label(_ metric: String) -> String {
        switch metric {
        case "loss": return "cross-entropy loss (nats per item)"
        case "accuracy": return "accuracy (fraction correct)"
        case "macro_f1": return "macro F1 (0 to 1)"
        case "perplexity": return "perplexity (exp of nats per word)"
        case "bits_per_char": return "bits per character"
        case "bleu": return "BLEU (0 to 100)"
        case "lr": return "learning rate"
        case "grad_norm": return "gradient norm (global L2, before clipping)"
        default:
            if metric.hasSuffix("_per_s") { return "throughput (\(metric.dropLast(6)) per second)" }
            return metric.replacingOccurrences(of: "_", with: " ")
        }
    }

    static let spansDecades: Set<String> = ["loss", "perplexity", "grad_norm", "lr"]

    /// One chart per metric; `loss` and `valid_loss` share the first.
    package var charts: [Chart] {
        var names: [String] = []
        for run in runs { for m in run.log.metricNames where !names.contains(m) { names.append(m) } }
        names.sort { (MetricsLog.rank($0), $0) < (MetricsLog.rank($1), $1) }
        var groups: [(metric: String, keys: [(key: String, role: String)])] = []
        for m in names {
            if m == "valid_loss" && names.contains("loss") { continue }
            if m == "loss" {
                groups.append(("loss", [("loss", "training")] + (names.contains("valid_loss") ? [("valid_loss", "validation")] : [])))
            } else if m.hasPrefix("valid_") {
                groups.append((String(m.dropFirst(6)), [(m, "validation")]))
            } else {
                groups.append((m, [(m, "")]))
            }
        }
        let xLabel = axis == .step ? "training step" : "wall time (s)"
        return groups.map { group in
            var series: [Chart.Series] = []
            for (r, run) in runs.enumerated() {
                for (k, key) in group.keys.enumerated() {
                    let points = run.log.records.compactMap { rec -> (x: Double, y: Double)? in
                        guard let y = rec[key.key], let x = rec[axis == .step ? "step" : "time"] else { return nil }
                        return (x, y)
                    }
                    if points.isEmpty { continue }
                    let name = [runs.count > 1 ? run.name : "", key.role].filter { !$0.isEmpty }.joined(separator: ": ")
                    series.append(Chart.Series(name: name, points: points, style: key.role == "validation" && group.keys.count > 1 ? .dashedLine : .line,
                                               colourIndex: runs.count > 1 ? r : k))
                }
            }
            let title = group.metric == "loss" ? "Loss" : Self.label(group.metric).split(separator: "(")[0].trimmingCharacters(in: .whitespaces).capitalizedFirst
            var chart = Chart(title: title, xLabel: xLabel, yLabel: Self.label(group.metric), series: series,
                              logY: logY && Self.spansDecades.contains(group.metric))
            chart.width = 560
            return chart
        }
    }

    /// Runs without a `time` field, which the wall-time axis cannot place.
    package var runsWithoutTime: [String] {
        runs.filter { run in !run.log.records.contains { $0["time"] != nil } }.map(\.name)
    }

    /// The curves as a page; `refreshSeconds` makes a browser reload it while training runs.
    package func page(refreshSeconds: Int? = nil) -> HTMLPage {
        var page = HTMLPage(title: "Training curves")
        if let s = refreshSeconds {
            page.body.append("<meta http-equiv=\"refresh\" content=\"\(s)\"><p class=\"meta\">Training is running: this page reloads every \(s) s.</p>")
        }
        let describe = runs.map { run in
            let last = run.log.records.last?["step"].map { "up to step \(String(format: "%.0f", $0))" } ?? ""
            let skipped = run.log.skipped.isEmpty ? "" : "; \(run.log.skipped.count) broken line(s) skipped (line \(run.log.skipped.map { String($0.line) }.prefix(5).joined(separator: ", ")))"
            return "\(escapeXML(run.name)): \(run.log.records.count) records \(last)\(escapeXML(skipped))"
        }
        page.body.append("<p class=\"meta\">" + describe.joined(separator: "<br>") + "</p>")
        if axis == .time, !runsWithoutTime.isEmpty {
            page.body.append("<p class=\"meta\">No wall time recorded (no <code>time</code> field) in: \(escapeXML(runsWithoutTime.joined(separator: ", "))); plot them against steps.</p>")
        }
        page.body.append("<div class=\"charts\">" + charts.map(\.svg).joined(separator: "\n") + "</div>")
        return page
    }

    /// Every chart stacked in one plain SVG file (for a paper or a README).
    package var svg: String {
        let all = charts
        let width = all.map(\.width).max() ?? 640
        let height = all.reduce(0) { $0 + $1.height + 10 }
        var s = ##"<?xml version="1.0" encoding="UTF-8"?>"## + "\n"
        s += ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)">"##
        var y = 0
        for chart in all {
            s += ##"<g transform="translate(0 \##(y))">"## + chart.svg + "</g>"
            y += chart.height + 10
        }
        return s + "</svg>\n"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
