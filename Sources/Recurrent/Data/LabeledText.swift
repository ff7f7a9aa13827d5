import Foundation

/// One example for classification: a text, its label, and where it came from.
public struct LabeledText: Sendable, Equatable {
    /// The text to classify.
    public var text: String
    /// Nil when the file has no label column (for prediction).
    public var label: String?
    /// The file it was read from.
    public var path: String
    /// The 1-based line it was read from.
    public var line: Int
}

/// What a classification file held: its examples, and the lines of the rows
/// that were skipped because their text was empty.
public struct ClassificationRows: Sendable, Equatable {
    /// The examples, in file order.
    public var examples: [LabeledText]
    /// 1-based lines of rows with an empty text, in file order (empty unless skipping was asked for).
    public var emptyTextLines: [Int] = []
}

/// Readers for classification data: a delimited file with a text and a label
/// column (tab, comma, semicolon or pipe, sniffed from the header line), a
/// JSON Lines file (one object per line with a text and a label field), or a
/// folder with one file per class (the file name is the label, one example per
/// line, as the `names` set is laid out).
public enum ClassificationData {
    /// The header names (or JSON fields) taken as the text and the label when none is given.
    public static let textNames = ["sentence", "text", "review", "document", "name"]
    /// The header names (or JSON fields) taken as the label when none is given.
    public static let labelNames = ["label", "category", "class"]

    /// Reads `path`, refusing a row with an empty text (see ``rows(_:textColumn:labelColumn:requireLabels:delimiter:skipEmptyText:)``).
    public static func read(_ path: String, textColumn: String? = nil, labelColumn: String? = nil,
                            requireLabels: Bool = true, delimiter: Character? = nil) throws -> [LabeledText] {
        try rows(path, textColumn: textColumn, labelColumn: labelColumn, requireLabels: requireLabels, delimiter: delimiter).examples
    }

    /// Reads `path`: a folder of per-class files, a JSON Lines file (`.jsonl`,
    /// `.ndjson`, or a first line that is a JSON object), or a delimited file.
    /// - Parameters:
    ///   - textColumn, labelColumn: a header name (a field name for JSON Lines)
    ///     or a 1-based column number; by default the first of ``textNames``
    ///     and ``labelNames`` present, or, without a header, column 1 for the
    ///     text and 2 for the label.
    ///   - requireLabels: whether every row must have a label.
    ///   - delimiter: the separator of a delimited file; nil sniffs it from the header line.
    ///   - skipEmptyText: skip rows whose text is empty (their lines are
    ///     returned) instead of refusing the file at the first.
    public static func rows(_ path: String, textColumn: String? = nil, labelColumn: String? = nil, requireLabels: Bool = true,
                            delimiter: Character? = nil, skipEmptyText: Bool = false) throws -> ClassificationRows {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError.notFound(path: path) }
        if isDirectory.boolValue { return ClassificationRows(examples: try readFolder(path)) }
        return try rows(text: try TextFile.read(path), path: path, textColumn: textColumn, labelColumn: labelColumn,
                        requireLabels: requireLabels, delimiter: delimiter, skipEmptyText: skipEmptyText)
    }

    /// Reads `text` (JSON Lines or delimited, as ``rows(_:textColumn:labelColumn:requireLabels:delimiter:skipEmptyText:)``
    /// reads a file); `path` names it in errors (`<stdin>` for standard input).
    public static func rows(text: String, path: String, textColumn: String? = nil, labelColumn: String? = nil, requireLabels: Bool = true,
                            delimiter: Character? = nil, skipEmptyText: Bool = false) throws -> ClassificationRows {
        if JSONLines.isJSONLines(text, path: path) {
            return try readJSONLines(text, path: path, textField: textColumn, labelField: labelColumn,
                                     requireLabels: requireLabels, skipEmptyText: skipEmptyText)
        }
        return try readDelimited(text, path: path, textColumn: textColumn, labelColumn: labelColumn, requireLabels: requireLabels,
                                 delimiter: delimiter ?? DelimitedFile.sniffSeparator(text, path: path), skipEmptyText: skipEmptyText)
    }

    /// Reads a folder with one file per class: the file name (without extension) is the label, each non-empty line an example.
    /// - Throws: ``DataError`` when the folder is missing or holds no example.
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

    /// One object per line; `textField`/`labelField` name the fields (a label may be a string, number or boolean).
    static func readJSONLines(_ text: String, path: String, textField: String?, labelField: String?,
                              requireLabels: Bool, skipEmptyText: Bool) throws -> ClassificationRows {
        var out = ClassificationRows(examples: [])
        for (line, object) in try JSONLines.objects(text, path: path) {
            func field(_ wanted: String?, _ defaults: [String]) -> String? {
                if let wanted { return object[wanted] == nil ? nil : wanted }
                return defaults.first { object[$0] != nil }
            }
            guard let textKey = field(textField, textNames) else {
                throw DataError.malformed(path: path, line: line, expected: "a '\(textField ?? "text")' field (or --text-field)",
                                          found: "fields \(object.keys.sorted().joined(separator: ", "))")
            }
            guard let text = object[textKey] as? String else {
                throw DataError.malformed(path: path, line: line, expected: "a string in '\(textKey)'", found: "\(type(of: object[textKey]!))")
            }
            var label: String? = nil
            if let labelKey = field(labelField, labelNames), let value = object[labelKey], !(value is NSNull) {
                label = JSONLines.scalarText(value)
                if label == nil {
                    throw DataError.malformed(path: path, line: line, expected: "a string, number or boolean in '\(labelKey)'", found: "\(type(of: value))")
                }
            }
            if requireLabels && (label ?? "").isEmpty {
                throw DataError.malformed(path: path, line: line, expected: "a '\(labelField ?? "label")' field (or --label-field)",
                                          found: "fields \(object.keys.sorted().joined(separator: ", "))")
            }
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty {
                guard skipEmptyText else { throw DataError.malformed(path: path, line: line, expected: "a non-empty text", found: "an empty '\(textKey)'") }
                out.emptyTextLines.append(line)
                continue
            }
            out.examples.append(LabeledText(text: t, label: label, path: path, line: line))
        }
        if out.examples.isEmpty { throw DataError.empty(path: path + " (no objects with a text)") }
        return out
    }

    static func readDelimited(_ text: String, path: String, textColumn: String?, labelColumn: String?, requireLabels: Bool,
                              delimiter: Character, skipEmptyText: Bool) throws -> ClassificationRows {
        let rows = try DelimitedFile.rows(text, separator: delimiter, path: path)
        guard let first = rows.first else { throw DataError.empty(path: path) }
        let header = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let shownHeader = first.fields.joined(separator: delimiter == "\t" ? "<TAB>" : String(delimiter))
        func column(_ wanted: String?, defaults: [String], fallback: Int?) throws -> Int? {
            if let wanted {
                if let n = Int(wanted) {
                    guard n >= 1 else { throw DataError.malformed(path: path, line: 1, expected: "a column number from 1", found: wanted) }
                    return n - 1
                }
                guard let i = header.firstIndex(of: wanted.lowercased()) else {
                    throw DataError.malformed(path: path, line: first.line, expected: "a header with a '\(wanted)' column", found: shownHeader)
                }
                return i
            }
            return header.firstIndex { defaults.contains($0) } ?? (hasHeader ? nil : fallback)
        }
        let hasHeader = header.contains { (textNames + labelNames).contains($0) }
            || (textColumn.map { Int($0) == nil } ?? false)
        let textIndex = try column(textColumn, defaults: textNames, fallback: 0)
        let labelIndex = try column(labelColumn, defaults: labelNames, fallback: 1)
        guard let textIndex else {
            throw DataError.malformed(path: path, line: first.line, expected: "a 'sentence' or 'text' column (or --text-column)", found: shownHeader)
        }
        if requireLabels && labelIndex == nil {
            throw DataError.malformed(path: path, line: first.line, expected: "a 'label' column (or --label-column)", found: shownHeader)
        }
        var out = ClassificationRows(examples: [])
        for row in rows.dropFirst(hasHeader ? 1 : 0) {
            let needed = max(textIndex, requireLabels ? (labelIndex ?? 0) : textIndex) + 1
            guard row.fields.count >= needed else {
                throw DataError.malformed(path: path, line: row.line, expected: "at least \(needed) columns", found: "\(row.fields.count)")
            }
            let text = row.fields[textIndex].trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                guard skipEmptyText else { throw DataError.malformed(path: path, line: row.line, expected: "a non-empty text", found: "an empty field") }
                out.emptyTextLines.append(row.line)
                continue
            }
            var label: String? = nil
            if let li = labelIndex, li < row.fields.count {
                let l = row.fields[li].trimmingCharacters(in: .whitespaces)
                if l.isEmpty && requireLabels {
                    throw DataError.malformed(path: path, line: row.line, expected: "a label", found: "an empty field")
                }
                label = l.isEmpty ? nil : l
            }
            out.examples.append(LabeledText(text: text, label: label, path: path, line: row.line))
        }
        if out.examples.isEmpty {
            throw DataError.empty(path: path + (out.emptyTextLines.isEmpty ? " (a header but no rows)" : " (every row's text is empty)"))
        }
        return out
    }
}
