/// Numeric sequences in CSV (or TSV) files, in the three shapes people keep them:
///
/// - long: one row per time step, a sequence-id column, value columns (one
///   per channel) and optionally a label column; each sequence's rows together;
/// - wide: one row per (univariate) sequence, its values across the row and
///   optionally a label column;
/// - one series: one row per time step, the values in one column (forecasting).
///
/// A first row is a header when its value columns are not numbers (an empty
/// first cell counts as a header, as pandas writes one). Columns are named by
/// header name or 1-based number. `?`, `NaN` or an empty field is a missing value.
public enum TimeSeriesCSV {
    /// Column names that are neither values nor ids nor labels.
    static let timeColumns: Set<String> = ["time", "timestamp", "step", "t", "date", "index"]

    /// The rows of `text` (the contents of `path`), and the header if the first row is one.
    static func rows(_ text: String, path: String) throws -> (header: [String]?, rows: [DelimitedFile.Row]) {
        let rows = try DelimitedFile.rows(text, separator: DelimitedFile.separator(for: path), path: path)
        guard let first = rows.first else { throw DataError.empty(path: path) }
        func isNumber(_ s: String) -> Bool {
            let t = s.trimmingCharacters(in: .whitespaces)
            return Float(t) != nil || t == "?"
        }
        // A header: a field that is not a number where the next row has one, or a first row of names only.
        let second = rows.count > 1 ? rows[1].fields : []
        let header = first.fields.enumerated().contains { i, f in !isNumber(f) && (i < second.count ? isNumber(second[i]) : true) }
            || first.fields.allSatisfy { !isNumber($0) && !$0.isEmpty }
        if header {
            guard rows.count > 1 else { throw DataError.empty(path: path + " (a header but no rows)") }
            return (first.fields.map { $0.trimmingCharacters(in: .whitespaces) }, Array(rows.dropFirst()))
        }
        return (nil, rows)
    }

    /// The index of column `spec` (a header name or a 1-based number).
    static func column(_ spec: String, header: [String]?, width: Int, path: String) throws -> Int {
        if let n = Int(spec) {
            guard n >= 1 && n <= width else {
                throw DataError.malformed(path: path, line: 1, expected: "a column number from 1 to \(width)", found: spec)
            }
            return n - 1
        }
        guard let i = header?.firstIndex(where: { $0.lowercased() == spec.lowercased() }) else {
            throw DataError.malformed(path: path, line: 1, expected: "a header with a '\(spec)' column", found: header.map { $0.joined(separator: ", ") } ?? "no header")
        }
        return i
    }

    /// The default label column: a header named label, class or target.
    static func defaultLabel(_ header: [String]?) -> Int? {
        header?.firstIndex { ["label", "class", "target"].contains($0.lowercased()) }
    }

    /// Reads the long form: rows of one sequence together, ordered by time.
    public static func readLong(_ path: String, idColumn: String, labelColumn: String? = nil) throws -> TimeSeriesSet {
        try parseLong(try TextFile.read(path), path: path, idColumn: idColumn, labelColumn: labelColumn)
    }

    /// ``readLong(_:idColumn:labelColumn:)`` on the text of `path`.
    public static func parseLong(_ text: String, path: String, idColumn: String, labelColumn: String? = nil) throws -> TimeSeriesSet {
        let (header, rows) = try Self.rows(text, path: path)
        let width = (header ?? rows[0].fields).count
        let id = try column(idColumn, header: header, width: width, path: path)
        let label = try labelColumn.map { try column($0, header: header, width: width, path: path) } ?? defaultLabel(header)
        let valueColumns = (0..<width).filter { $0 != id && $0 != label && !timeColumns.contains(header?[$0].lowercased() ?? "") }
        guard !valueColumns.isEmpty else {
            throw DataError.malformed(path: path, line: 1, expected: "at least one value column besides the id and label", found: "none")
        }
        let F = valueColumns.count
        var cases: [TimeSeriesCase] = []
        var seen: [String: Int] = [:]                      // id -> line where it started
        var current: (id: String, label: String?, line: Int, values: [Float])? = nil
        func finish() {
            guard let c = current else { return }
            cases.append(TimeSeriesCase(values: c.values, length: c.values.count / F, channels: F, label: c.label, path: path, line: c.line))
        }
        for row in rows {
            guard row.fields.count == width else {
                throw DataError.malformed(path: path, line: row.line, expected: "\(width) columns", found: "\(row.fields.count)")
            }
            let key = row.fields[id].trimmingCharacters(in: .whitespaces)
            let l = label.map { row.fields[$0].trimmingCharacters(in: .whitespaces) }
            if current?.id != key {
                if let started = seen[key] {
                    throw DataError.malformed(path: path, line: row.line, expected: "the rows of sequence '\(key.prefix(40))' together (it started at line \(started), and other sequences came between)",
                                              found: "'\(key.prefix(40))' again")
                }
                finish()
                seen[key] = row.line
                current = (key, l, row.line, [])
            } else if current?.label != l {
                throw DataError.malformed(path: path, line: row.line, expected: "one label per sequence ('\(current?.label ?? "")' for '\(key.prefix(40))')",
                                          found: "'\((l ?? "").prefix(40))'")
            }
            for (j, c) in valueColumns.enumerated() {
                current!.values.append(try parseValue(row.fields[c][...], missingAllowed: true, path: path, line: row.line,
                                                      what: "a number in \(header?[c] ?? "column \(c + 1)") (channel \(j + 1))"))
            }
        }
        finish()
        if let l = label, let empty = cases.first(where: { ($0.label ?? "").isEmpty }) {
            throw DataError.malformed(path: path, line: empty.line, expected: "a label in \(header?[l] ?? "column \(l + 1)")", found: "an empty field")
        }
        return TimeSeriesSet(path: path, channels: F, cases: cases)
    }

    /// Reads the wide form: one univariate sequence per row.
    public static func readWide(_ path: String, labelColumn: String? = nil) throws -> TimeSeriesSet {
        try parseWide(try TextFile.read(path), path: path, labelColumn: labelColumn)
    }

    /// ``readWide(_:labelColumn:)`` on the text of `path`.
    public static func parseWide(_ text: String, path: String, labelColumn: String? = nil) throws -> TimeSeriesSet {
        let (header, rows) = try Self.rows(text, path: path)
        let width = (header ?? rows[0].fields).count
        let label = try labelColumn.map { try column($0, header: header, width: width, path: path) } ?? defaultLabel(header)
        var cases: [TimeSeriesCase] = []
        for row in rows {
            var fields = row.fields[...]
            var l: String? = nil
            if let label {
                guard label < fields.count else {
                    throw DataError.malformed(path: path, line: row.line, expected: "a label in column \(label + 1)", found: "\(fields.count) columns")
                }
                l = fields[label].trimmingCharacters(in: .whitespaces)
                guard !(l ?? "").isEmpty else { throw DataError.malformed(path: path, line: row.line, expected: "a label", found: "an empty field") }
                fields.remove(at: label)
            }
            // Trailing empty fields are padding of a shorter sequence.
            while let last = fields.last, last.trimmingCharacters(in: .whitespaces).isEmpty { fields.removeLast() }
            guard !fields.isEmpty else { throw DataError.malformed(path: path, line: row.line, expected: "at least one value", found: "none") }
            let values = try fields.map { try parseValue($0[...], missingAllowed: true, path: path, line: row.line, what: "a number") }
            cases.append(TimeSeriesCase(values: values, length: values.count, channels: 1, label: l, path: path, line: row.line))
        }
        return TimeSeriesSet(path: path, channels: 1, cases: cases)
    }

    /// Reads one series: the values of `column` (default: the last column), one per row.
    public static func readSeries(_ path: String, column spec: String? = nil) throws -> Series {
        try parseSeries(try TextFile.read(path), path: path, column: spec)
    }

    /// One column of a CSV file: its values (NaN where missing), its name, the line of its
    /// first value, and a `--column` that selects it again (its header name, or its number).
    public typealias Series = (values: [Float], name: String, firstLine: Int, column: String)

    /// ``readSeries(_:column:)`` on the text of `path`.
    public static func parseSeries(_ text: String, path: String, column spec: String? = nil) throws -> Series {
        let (header, rows) = try Self.rows(text, path: path)
        let width = (header ?? rows[0].fields).count
        let c = try spec.map { try column($0, header: header, width: width, path: path) } ?? width - 1
        let name = header.map { $0[c].isEmpty ? "column \(c + 1)" : $0[c] } ?? "column \(c + 1)"
        let reselect = header.map { $0[c].isEmpty || Int($0[c]) != nil ? "\(c + 1)" : $0[c] } ?? "\(c + 1)"
        let values = try rows.map { row -> Float in
            guard c < row.fields.count else {
                throw DataError.malformed(path: path, line: row.line, expected: "\(width) columns", found: "\(row.fields.count)")
            }
            return try parseValue(row.fields[c][...], missingAllowed: true, path: path, line: row.line, what: "a number in \(name)")
        }
        return (values, name, rows[0].line, reselect)
    }
}
