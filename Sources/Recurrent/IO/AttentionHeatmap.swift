import Foundation

/// A self-contained HTML page with an SVG heatmap of an alignment matrix:
/// source words across the top, target words down the left, each cell
/// shaded by its weight (darker is more), the weight in the cell's tooltip.
public enum AttentionHeatmap {
    /// - Parameters:
    ///   - weights: one row per target word, each with one weight per source word.
    public static func html(source: [String], target: [String], weights: [[Float]], title: String) -> String {
        precondition(weights.count == target.count && weights.allSatisfy { $0.count == source.count },
                     "AttentionHeatmap: \(weights.count) rows for \(target.count) target words, each needs \(source.count) values")
        let cell = 28, left = 12 + 8 * (target.map(\.count).max() ?? 1), top = 12 + 8 * (source.map(\.count).max() ?? 1)
        // Source labels lean right by about half their length (rotated 60 degrees).
        let width = left + cell * source.count + 12 + 4 * (source.map(\.count).max() ?? 1), height = top + cell * target.count + 12
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="13">
            <rect width="\(width)" height="\(height)" fill="white"/>

            """
        for (j, word) in source.enumerated() {
            let x = left + j * cell + cell / 2 + 4
            svg += "<text class=\"source\" transform=\"translate(\(x),\(top - 6)) rotate(-60)\">\(escape(word))</text>\n"
        }
        for (i, word) in target.enumerated() {
            svg += "<text class=\"target\" x=\"\(left - 6)\" y=\"\(top + i * cell + cell / 2 + 5)\" text-anchor=\"end\">\(escape(word))</text>\n"
            for (j, w) in weights[i].enumerated() {
                let shade = Int((255 * (1 - Double(min(max(w, 0), 1)))).rounded())
                svg += "<rect class=\"cell\" x=\"\(left + j * cell)\" y=\"\(top + i * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#ddd\"><title>\(escape(word)) / \(escape(source[j])): \(String(format: "%.3f", w))</title></rect>\n"
            }
        }
        svg += "</svg>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body { font-family: sans-serif; margin: 16px; } svg { display: block; }</style></head>
            <body><h1 style="font-size: 16px">\(escape(title))</h1>
            \(svg)
            </body></html>

            """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
