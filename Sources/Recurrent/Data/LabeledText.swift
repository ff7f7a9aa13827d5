import Foundation

/// One example for classification: a text, its label, and where it came from.
public struct LabeledText: Sendable, Equatable {
    public var text: String
    /// Nil when the file has no label column (for prediction).
    public var label: String?
    public var path: String
    public var line: Int
}

/// Readers for classification data: a TSV/CSV file with a text and a label
/// column, or a folder with one file per class (the file name is the label,
/// one example per line, as the `names` set is laid out).
public enum ClassificationData {
    /// Reads `path`: a folder of per-class files, or a delimited file.
    /// - Parameters:
    ///   - textColumn, labelColumn: a header name or a 1-based column number; by
    ///     default the header's `sentence`/`text` and `label` columns, or, without
    ///     a header, column 1 for the text and 2 for the label.
    ///   - requireLabels: whether every row must have a label.
    public static func read(_ path: String, textColumn: String? = nil, labelColumn: String? = nil,
                            requireLabels: Bool = true) throws -> [LabeledText] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError.notFound(path: path) }
        if isDirectory.boolValue { return try readFolder(path) }
        return try readDelimited(path, textColumn: textColumn, labelColumn: labelColumn, requireLabels: requireLabels)
    }

    public static func readFolder(_ path: String) throws -> [LabeledText] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted()
        } catch { throw DataError.unreadable(path: path, reason: error.localizedDescription) }
        var out: [LabeledText] = []
        for name in files {
            let file = "\(path)/\(name)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue { continue }
            let label = (name as NSString).deletingPathExtension
            let text = try TextFile.read(file)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let t = line.trimmingCharacters(in: .whitespaces)
                if !t.isEmpty { out.append(LabeledText(text: t, label: label, path: file, line: i + 1)) }
            }
        }
        if out.isEmpty { throw DataError.empty(path: path + " (no class files with examples)") }
        return out
    }

    public static func readDelimited(_ path: String, textColumn: String?, labelColumn: String?, requireLabels: Bool) throws -> [LabeledText] {
        let rows = try DelimitedFile.rows(try TextFile.read(path), separator: DelimitedFile.separator(for: path), path: path)
        guard let first = rows.first else { throw DataError.empty(path: path) }
        let header = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ wanted: String?, defaults: [String], fallback: Int?) throws -> Int? {
            if let wanted {
                if let n = Int(wanted) {
                    guard n >= 1 else { throw DataError.malformed(path: path, line: 1, expected: "a column number from 1", found: wanted) }
                    return n - 1
                }
                guard let i = header.firstIndex(of: wanted.lowercased()) else {
                    throw DataError.malformed(path: path, line: 1, expected: "a header with a '\(wanted)' column", found: first.fields.joined(separator: ", "))
                }
                return i
            }
            return header.firstIndex { defaults.contains($0) } ?? (hasHeader ? nil : fallback)
        }
        let hasHeader = header.contains { ["sentence", "text", "label", "review", "name", "category"].contains($0) }
            || (textColumn.map { Int($0) == nil } ?? false)
        let textIndex = try column(textColumn, defaults: ["sentence", "text", "review", "name"], fallback: 0)
        let labelIndex = try column(labelColumn, defaults: ["label", "category", "class"], fallback: 1)
        guard let textIndex else {
            throw DataError.malformed(path: path, line: 1, expected: "a 'sentence' or 'text' column (or --text-column)", found: first.fields.joined(separator: ", "))
        }
        if requireLabels && labelIndex == nil {
            throw DataError.malformed(path: path, line: 1, expected: "a 'label' column (or --label-column)", found: first.fields.joined(separator: ", "))
        }
        var out: [LabeledText] = []
        for row in rows.dropFirst(hasHeader ? 1 : 0) {
            let needed = max(textIndex, requireLabels ? (labelIndex ?? 0) : textIndex) + 1
            guard row.fields.count >= needed else {
                throw DataError.malformed(path: path, line: row.line, expected: "at least \(needed) columns", found: "\(row.fields.count)")
            }
            let text = row.fields[textIndex].trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw DataError.malformed(path: path, line: row.line, expected: "a non-empty text", found: "an empty field") }
            var label: String? = nil
            if let li = labelIndex, li < row.fields.count {
                let l = row.fields[li].trimmingCharacters(in: .whitespaces)
                if l.isEmpty && requireLabels {
                    throw DataError.malformed(path: path, line: row.line, expected: "a label", found: "an empty field")
                }
                label = l.isEmpty ? nil : l
            }
            out.append(LabeledText(text: text, label: label, path: path, line: row.line))
        }
        if out.isEmpty { throw DataError.empty(path: path + " (a header but no rows)") }
        return out
    }
}
