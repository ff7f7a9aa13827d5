/// Rows of a TSV or CSV file (or one separated by semicolons or pipes). CSV
/// follows RFC 4180 (fields in double quotes may hold the separator, newlines
/// and doubled quotes); TSV splits each line on tabs.
public enum DelimitedFile {
    /// One row: its fields and the line it starts on.
    public struct Row: Sendable, Equatable {
        /// The 1-based line where the row starts.
        public var line: Int
        /// The fields, unquoted.
        public var fields: [String]
    }

    /// Tab for `.tsv`, comma otherwise.
    public static func separator(for path: String) -> Character {
        path.lowercased().hasSuffix(".tsv") ? "\t" : ","
    }

    /// The separators ``sniffSeparator(_:path:)`` chooses among, in order of preference on a tie.
    public static let sniffedSeparators: [Character] = ["\t", ",", ";", "|"]

    /// The separator of `text`, judged from its first non-blank line (the
    /// header) whatever the file is called: the extension's separator
    /// (``separator(for:)``) when that line holds it, else whichever of tab,
    /// comma, semicolon and pipe it holds most; the extension's when it holds none.
    public static func sniffSeparator(_ text: String, path: String) -> Character {
        let byName = separator(for: path)
        let header = text.split(separator: "\n").first { !$0.allSatisfy { $0 == " " || $0 == "\r" || $0 == "\t" } } ?? ""
        if header.contains(byName) { return byName }
        let counts = sniffedSeparators.map { c in header.reduce(0) { $0 + ($1 == c ? 1 : 0) } }
        guard let best = counts.max(), best > 0 else { return byName }
        return sniffedSeparators[counts.firstIndex(of: best)!]
    }

    /// Splits `text` into rows, skipping blank lines. A tab splits each line;
    /// any other separator follows RFC 4180's quoting (as CSV does).
    public static func rows(_ text: String, separator: Character, path: String) throws -> [Row] {
        separator == "\t" ? tsvRows(text) : try csvRows(text, separator: separator, path: path)
    }

    static func tsvRows(_ text: String) -> [Row] {
        var rows: [Row] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\r" }) { continue }
            rows.append(Row(line: i + 1, fields: line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return rows
    }

    static func csvRows(_ text: String, separator: Character = ",", path: String) throws -> [Row] {
        var rows: [Row] = []
        var fields: [String] = [], field = "", quoted = false, fieldStarted = false
        var line = 1, rowLine = 1
        var chars = text.makeIterator()
        var pending: Character? = nil
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []; field = ""; fieldStarted = false
        }
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where !fieldStarted && field.isEmpty:
                quoted = true
                fieldStarted = true
            case separator:
                fields.append(field); field = ""; fieldStarted = false
            case "\n":
                endRow()
                line += 1
                rowLine = line
            default:
                field.append(c)
                fieldStarted = true
            }
        }
        if quoted { throw DataError.malformed(path: path, line: rowLine, expected: "a closing double quote", found: "the end of the file") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
