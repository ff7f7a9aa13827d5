import ArgumentParser
import Foundation
import Recurrent

/// `--delimiter`: tab, comma, semicolon, pipe, or the character itself.
struct Delimiter: ExpressibleByArgument {
    let character: Character

    init?(argument: String) {
        let names: [String: Character] = ["tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"]
        if let c = names[argument.lowercased()] {
            character = c
        } else if argument.count == 1, let c = argument.first, c != "\"", c != "\n" {
            character = c
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["tab", "comma", "semicolon", "pipe"] }
}

/// How text-with-label files are read by `train classify`, `train generate`,
/// `evaluate` and `predict`: which columns (or JSON Lines fields), which
/// separator, and what happens to rows with an empty text.
struct TextDataOptions: ParsableArguments {
    @Option(name: [.customLong("text-column"), .customLong("text-field")],
            help: "The text column (a header name or a 1-based number), or the text field of a JSON Lines file (default: text, sentence, review, document or name).")
    var textColumn: String?
    @Option(name: [.customLong("label-column"), .customLong("label-field")],
            help: "The label column (a header name or a 1-based number), or the label field of a JSON Lines file (default: label, category or class).")
    var labelColumn: String?
    @Option(help: "The column separator: tab, comma, semicolon, pipe or a character (default: sniffed from the header line, whatever the extension).")
    var delimiter: Delimiter?
    @Flag(help: "Refuse a file with an empty text in any row (default: skip such rows, with a count and their first line numbers).")
    var strict = false

    /// The examples of `path` (`<stdin>`: standard input), telling on standard error which rows were skipped for an empty text.
    func read(_ path: String, requireLabels: Bool = true) throws -> [LabeledText] {
        let rows = path == StandardInput.name
            ? try ClassificationData.rows(text: try StandardInput.read(), path: path, textColumn: textColumn, labelColumn: labelColumn,
                                          requireLabels: requireLabels, delimiter: delimiter?.character, skipEmptyText: !strict)
            : try ClassificationData.rows(path, textColumn: textColumn, labelColumn: labelColumn, requireLabels: requireLabels,
                                          delimiter: delimiter?.character, skipEmptyText: !strict)
        if let note = Self.skippedNote(path, lines: rows.emptyTextLines) { warn(note) }
        return rows.examples
    }

    /// "PATH: N row(s) with an empty text skipped (lines a, b, c, ...); --strict refuses them", or nil when there are none.
    static func skippedNote(_ path: String, lines: [Int], what: String = "row(s) with an empty text skipped") -> String? {
        guard !lines.isEmpty else { return nil }
        let shown = lines.prefix(5).map(String.init).joined(separator: ", ") + (lines.count > 5 ? ", ..." : "")
        return "\(path): \(lines.count) \(what) (line\(lines.count == 1 ? "" : "s") \(shown)); --strict refuses them"
    }
}

/// One line on standard error.
func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
