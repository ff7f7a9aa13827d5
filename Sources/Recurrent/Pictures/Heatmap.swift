/// A matrix drawn as coloured cells with row and column labels and a colour
/// scale: the shape of an attention map (rows: output tokens, columns: input
/// tokens), a unit-by-property correlation table, or any other grid.
package struct Heatmap: Sendable {
    package var title: String
    /// `values[r][c]`; every row has `columnLabels.count` entries.
    package var values: [[Double]]
    package var rowLabels: [String]
    package var columnLabels: [String]
    /// What a cell's colour measures, with its unit.
    package var valueLabel: String
    package var scale: ColourScale
    package var cellSize = 22

    /// A heatmap; the colour scale fits the finite values (diverging and
    /// symmetric about zero when some are negative, sequential otherwise).
    package init(title: String, values: [[Double]], rowLabels: [String], columnLabels: [String], valueLabel: String) {
        precondition(values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
                     "Heatmap: \(values.count) rows of \(values.map(\.count)) values for \(rowLabels.count) x \(columnLabels.count) labels")
        self.title = title
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.valueLabel = valueLabel
        let finite = values.joined().filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if lo < 0 {
            let m = max(abs(lo), abs(hi))
            scale = ColourScale(.diverging, low: -m, high: m)
        } else {
            scale = ColourScale(.sequential, low: min(lo, 0), high: hi)
        }
    }

    /// The heatmap as an `<svg>` element; each cell is a `rect.cell` with its value as a tooltip.
    package var svg: String {
        let labelWidth = min(160, 8 + 7 * (rowLabels.map(\.count).max() ?? 1))
        let columnLabelHeight = min(120, 10 + 6 * (columnLabels.map(\.count).max() ?? 1))
        let left = Double(labelWidth), top = 28.0 + Double(columnLabelHeight), c = Double(cellSize)
        // Wide enough for the cells, the title and the colour scale under the cells.
        let width = max(Int(left + c * Double(columnLabels.count)) + 12, Int(left) + 262, 8 * title.count + 12)
        let height = Int(top + c * Double(rowLabels.count)) + 60
        var s = ##"<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" font-family="sans-serif" role="img" aria-label="\##(escapeXML(title))">"##
        s += ##"<rect width="100%" height="100%" fill="white"/>"##
        s += ##"<text class="title" x="4" y="18" font-size="14" font-weight="bold">\##(escapeXML(title))</text>"##
        for (j, label) in columnLabels.enumerated() {
            let x = left + c * (Double(j) + 0.5) + 4
            s += ##"<text class="column-label" transform="translate(\##(fmt(x)) \##(fmt(top - 4))) rotate(-60)" font-size="11">\##(escapeXML(Chart.shorten(label, 18)))</text>"##
        }
        for (i, label) in rowLabels.enumerated() {
            let y = top + c * Double(i)
            s += ##"<text class="row-label" x="\##(fmt(left - 4))" y="\##(fmt(y + c / 2 + 4))" font-size="11" text-anchor="end">\##(escapeXML(Chart.shorten(label, 22)))</text>"##
            for (j, v) in values[i].enumerated() {
                s += ##"<rect class="cell" x="\##(fmt(left + c * Double(j)))" y="\##(fmt(y))" width="\##(cellSize)" height="\##(cellSize)" fill="\##(v.isFinite ? scale.colour(v) : "#ccc")" stroke="white"><title>\##(escapeXML(rowLabels[i])) / \##(escapeXML(columnLabels[j])): \##(tickLabel(v))</title></rect>"##
            }
        }
        s += ##"<g transform="translate(\##(fmt(left - 10)) \##(fmt(top + c * Double(rowLabels.count) + 8)))">"##
        s += scale.legendSVG(label: valueLabel) + "</g>"
        return s + "</svg>"
    }
}
