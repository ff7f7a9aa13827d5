import Foundation

/// A line or scatter chart drawn as a self-contained SVG: labelled axes with
/// ticks, optional logarithmic y axis, several series with a legend.
///
/// Points that are not finite (or not positive on a log axis) are left out,
/// and a line breaks there rather than jumping across the gap.
package struct Chart: Sendable {
    /// One named set of points.
    package struct Series: Sendable {
        package enum Style: Sendable { case line, dashedLine, points }
        package var name: String
        package var points: [(x: Double, y: Double)]
        package var style: Style
        /// An index into the palette; nil picks the series' position.
        package var colourIndex: Int?

        package init(name: String, points: [(x: Double, y: Double)], style: Style = .line, colourIndex: Int? = nil) {
            self.name = name
            self.points = points
            self.style = style
            self.colourIndex = colourIndex
        }
    }

    package var title: String
    /// The x axis label, with its unit ("step", "wall time (s)").
    package var xLabel: String
    /// The y axis label, with its unit ("loss (nats/token)").
    package var yLabel: String
    package var series: [Series]
    package var logY = false
    package var width = 640
    package var height = 360
    /// Fixed axis ranges; nil fits the data.
    package var xRange: ClosedRange<Double>? = nil
    package var yRange: ClosedRange<Double>? = nil

    /// Colour-blind-safe palette (Okabe and Ito).
    package static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    package init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
    }

    /// The points that can be drawn.
    func drawable(_ p: (x: Double, y: Double)) -> Bool { p.x.isFinite && p.y.isFinite && (!logY || p.y > 0) }

    /// The chart as an `<svg>` element.
    package var svg: String {
        let legendWidth = series.count > 1 || !(series.first?.name.isEmpty ?? true) ? 190 : 0
        let left = 70.0, right = Double(legendWidth) + 16, top = 30.0, bottom = 48.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let all = series.flatMap { $0.points.filter(drawable) }
        var xr = xRange ?? ((all.map(\.x).min() ?? 0)...(all.map(\.x).max() ?? 1))
        if xr.lowerBound == xr.upperBound {
            let half = xr.lowerBound == 0 ? 1 : abs(xr.lowerBound) * 0.1
            xr = (xr.lowerBound - half)...(xr.upperBound + half)
        }
        let ys = all.map { logY ? log10($0.y) : $0.y }
        var yr = yRange.map { logY ? log10(max($0.lowerBound, 1e-300))...log10(max($0.upperBound, 1e-300)) : $0 }
            ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
        if logY {
            yr = floor(yr.lowerBound)...max(ceil(yr.upperBound), floor(yr.lowerBound) + 1)
        } else if yr.lowerBound == yr.upperBound {
            let half = yr.lowerBound == 0 ? 1 : abs(yr.lowerBound) * 0.1
            yr = (yr.lowerBound - half)...(yr.upperBound + half)
        } else {
            let pad = (yr.upperBound - yr.lowerBound) * 0.05
            yr = (yr.lowerBound - pad)...(yr.upperBound + pad)
        }
        func px(_ x: Double) -> Double { left + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * plotW }
        func py(_ y: Double) -> Double {
            let v = logY ? log10(y) : y
            return top + plotH - (v - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * plotH
        }

        var s = ##"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)" font-family="sans-serif" role="img" aria-label="\##(escapeXML(title))">"##
        s += ##"<rect width="100%" height="100%" fill="white"/>"##
        s += ##"<text class="title" x="\##(fmt(left))" y="18" font-size="14" font-weight="bold">\##(escapeXML(title))</text>"##
        // Grid and ticks.
        for x in Self.ticks(xr.lowerBound, xr.upperBound) {
            let X = px(x)
            s += ##"<line x1="\##(fmt(X))" y1="\##(fmt(top))" x2="\##(fmt(X))" y2="\##(fmt(top + plotH))" stroke="#eee"/>"##
            s += ##"<text class="tick" x="\##(fmt(X))" y="\##(fmt(top + plotH + 15))" font-size="11" text-anchor="middle">\##(tickLabel(x))</text>"##
        }
        let yTicks = logY ? Self.logTicks(yr.lowerBound, yr.upperBound) : Self.ticks(yr.lowerBound, yr.upperBound)
        for y in yTicks {
            let Y = top + plotH - (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * plotH
            s += ##"<line x1="\##(fmt(left))" y1="\##(fmt(Y))" x2="\##(fmt(left + plotW))" y2="\##(fmt(Y))" stroke="#eee"/>"##
            let label = logY ? (y == y.rounded() ? "1e\(Int(y))" : "") : tickLabel(y)
            s += ##"<text class="tick" x="\##(fmt(left - 6))" y="\##(fmt(Y + 4))" font-size="11" text-anchor="end">\##(label)</text>"##
        }
        s += ##"<rect x="\##(fmt(left))" y="\##(fmt(top))" width="\##(fmt(plotW))" height="\##(fmt(plotH))" fill="none" stroke="#444"/>"##
        s += ##"<text class="axis-label" x="\##(fmt(left + plotW / 2))" y="\##(height - 10)" font-size="12" text-anchor="middle">\##(escapeXML(xLabel))</text>"##
        s += ##"<text class="axis-label" transform="translate(16 \##(fmt(top + plotH / 2))) rotate(-90)" font-size="12" text-anchor="middle">\##(escapeXML(yLabel + (logY ? ", log scale" : "")))</text>"##
        // Series, clipped to the plot area.
        let clip = "plot-" + Self.stableID(title + xLabel + yLabel + "\(series.count)")
        s += ##"<clipPath id="\##(clip)"><rect x="\##(fmt(left))" y="\##(fmt(top))" width="\##(fmt(plotW))" height="\##(fmt(plotH))"/></clipPath>"##
        s += ##"<g clip-path="url(#\##(clip))">"##
        for (i, serie) in series.enumerated() {
            let colour = Self.palette[(serie.colourIndex ?? i) % Self.palette.count]
            switch serie.style {
            case .points:
                s += ##"<g class="series" data-name="\##(escapeXML(serie.name))" fill="\##(colour)" fill-opacity="0.7">"##
                for p in serie.points where drawable(p) {
                    s += ##"<circle cx="\##(fmt(px(p.x)))" cy="\##(fmt(py(p.y)))" r="3"/>"##
                }
                s += "</g>"
            case .line, .dashedLine:
                var d = "", pen = false
                for p in serie.points {
                    guard drawable(p) else { pen = false; continue }
                    d += (pen ? "L" : "M") + fmt(px(p.x)) + " " + fmt(py(p.y))
                    pen = true
                }
                let dash = serie.style == .dashedLine ? ##" stroke-dasharray="6 4""## : ""
                s += ##"<path class="series" data-name="\##(escapeXML(serie.name))" d="\##(d)" fill="none" stroke="\##(colour)" stroke-width="1.8"\##(dash)/>"##
            }
        }
        s += "</g>"
        // Legend.
        if legendWidth > 0 {
            let lx = left + plotW + 12
            for (i, serie) in series.enumerated() {
                let colour = Self.palette[(serie.colourIndex ?? i) % Self.palette.count]
                let ly = top + 8 + Double(i) * 18
                s += ##"<g class="legend-item">"##
                if serie.style == .points {
                    s += ##"<circle cx="\##(fmt(lx + 9))" cy="\##(fmt(ly))" r="4" fill="\##(colour)"/>"##
                } else {
                    let dash = serie.style == .dashedLine ? ##" stroke-dasharray="6 4""## : ""
                    s += ##"<line x1="\##(fmt(lx))" y1="\##(fmt(ly))" x2="\##(fmt(lx + 18))" y2="\##(fmt(ly))" stroke="\##(colour)" stroke-width="2.5"\##(dash)/>"##
                }
                s += ##"<text x="\##(fmt(lx + 24))" y="\##(fmt(ly + 4))" font-size="11">\##(escapeXML(Self.shorten(serie.name, 28)))</text></g>"##
            }
        }
        return s + "</svg>"
    }

    /// A hex FNV-1a hash of `s`: the same on every run, so pages are reproducible.
    static func stableID(_ s: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 16)
    }

    static func shorten(_ s: String, _ n: Int) -> String { s.count <= n ? s : "…" + s.suffix(n - 1) }

    /// About five round-numbered ticks covering `lo...hi`.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [] }
        let raw = (hi - lo) / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = []
        var v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 && out.count < 20 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    /// Decade ticks (in log10 units) covering `lo...hi`, at most about eight.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [] }
        let every = max(1, Int(ceil((hi - lo) / 8)))
        return stride(from: lo, through: hi, by: Double(every)).map { $0 }
    }
}
