import Foundation

/// Maps numbers to colours, and draws itself as a labelled bar so a reader
/// can tell what a colour means.
package struct ColourScale: Sendable {
    package enum Kind: Sendable {
        /// Blue (low) through white (middle) to red (high): signed values.
        case diverging
        /// White (low) to dark blue (high): magnitudes and fractions.
        case sequential
    }

    package let kind: Kind
    package let low: Double
    package let high: Double

    /// A scale from `low` to `high`; a degenerate range is widened so every value has a colour.
    package init(_ kind: Kind, low: Double, high: Double) {
        self.kind = kind
        let lo = low.isFinite ? low : 0, hi = high.isFinite ? high : 1
        self.low = min(lo, hi)
        self.high = hi > lo ? hi : lo + 1
    }

    /// The position of `value` in `[0, 1]` (clamped; NaN maps to the middle).
    package func position(_ value: Double) -> Double {
        guard value.isFinite else { return 0.5 }
        return min(1, max(0, (value - low) / (high - low)))
    }

    /// `#rrggbb` for `value`.
    package func colour(_ value: Double) -> String { Self.colour(at: position(value), kind: kind) }

    /// `#rrggbb` at position `p` in `[0, 1]` of a scale of `kind`.
    package static func colour(at p: Double, kind: Kind) -> String {
        let (r, g, b): (Double, Double, Double)
        switch kind {
        case .diverging:
            // #2166ac (blue) -> #f7f7f7 -> #b2182b (red), as ColorBrewer's RdBu.
            if p < 0.5 {
                let s = p / 0.5
                (r, g, b) = (33 + (247 - 33) * s, 102 + (247 - 102) * s, 172 + (247 - 172) * s)
            } else {
                let s = (p - 0.5) / 0.5
                (r, g, b) = (247 + (178 - 247) * s, 247 + (24 - 247) * s, 247 + (43 - 247) * s)
            }
        case .sequential:
            // #f7fbff -> #08306b, ColorBrewer's Blues.
            (r, g, b) = (247 + (8 - 247) * p, 251 + (48 - 251) * p, 255 + (107 - 255) * p)
        }
        func hex(_ v: Double) -> String { String(format: "%02x", Int(min(255, max(0, v.rounded())))) }
        return "#" + hex(r) + hex(g) + hex(b)
    }

    /// A horizontal colour bar, `width` x about 44 pixels, with the end and
    /// middle values and `label` (what the colour measures, with its unit).
    package func legendSVG(label: String, width: Int = 260) -> String {
        let steps = 32, barWidth = Double(width - 20)
        var svg = ##"<svg class="colour-scale" xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="46" role="img" aria-label="colour scale: \##(escapeXML(label))">"##
        for i in 0..<steps {
            let x = 10 + barWidth * Double(i) / Double(steps)
            svg += ##"<rect x="\##(fmt(x))" y="4" width="\##(fmt(barWidth / Double(steps) + 0.5))" height="12" fill="\##(Self.colour(at: (Double(i) + 0.5) / Double(steps), kind: kind))"/>"##
        }
        svg += ##"<rect x="10" y="4" width="\##(fmt(barWidth))" height="12" fill="none" stroke="#888"/>"##
        let mid = (low + high) / 2
        svg += ##"<text x="10" y="29" font-size="11" text-anchor="start">\##(tickLabel(low))</text>"##
        svg += ##"<text x="\##(fmt(10 + barWidth / 2))" y="29" font-size="11" text-anchor="middle">\##(tickLabel(mid))</text>"##
        svg += ##"<text x="\##(fmt(10 + barWidth))" y="29" font-size="11" text-anchor="end">\##(tickLabel(high))</text>"##
        svg += ##"<text x="\##(fmt(10 + barWidth / 2))" y="43" font-size="11" text-anchor="middle">\##(escapeXML(label))</text>"##
        return svg + "</svg>"
    }
}

/// `s` with `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values in SVG and HTML.
package func escapeXML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A coordinate with at most two decimals.
func fmt(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return r == r.rounded() ? String(Int(r)) : String(r)
}

/// A short label for an axis tick or a scale end: 3 significant digits, exponent form when very large or small.
package func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+", with: "e") }
    var s = String(format: "%.3g", v)
    if s.contains("e") { s = String(format: "%.0f", v) }
    return s
}
