/// A sentence read from CoNLL-U: its words and their tags.
public struct TaggedSentence: Sendable, Equatable {
    /// The words (FORM column), in order.
    public var words: [String]
    /// One tag per word, from the chosen column.
    public var tags: [String]
    /// The line of the sentence's first word.
    public var line: Int
}

/// The CoNLL-U format of Universal Dependencies: one word per line in ten
/// tab-separated columns (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC),
/// `#` comment lines, and a blank line after each sentence. Multiword-token
/// lines (ID `1-2`) and empty nodes (ID `1.1`) are not words of the surface
/// sequence that gets tagged, so they are skipped, as the spec's word/token distinction asks.
public enum CoNLLU {
    /// Which column holds the tag.
    public enum TagColumn: String, Sendable, CaseIterable, Codable {
        /// UPOS (column 4, universal part-of-speech tags), XPOS (column 5, language-specific tags) or DEPREL (column 8, dependency relations).
        case upos, xpos, deprel
        var index: Int { self == .upos ? 3 : self == .xpos ? 4 : 7 }
    }

    /// The sentences of CoNLL-U `text`, with the tags of `column`; `path` names the file in errors.
    /// - Throws: ``DataError`` naming the file and line of a malformed word line, a word ID out of order or a missing tag.
    public static func sentences(_ text: String, path: String, column: TagColumn = .upos) throws -> [TaggedSentence] {
        var out: [TaggedSentence] = []
        var words: [String] = [], tags: [String] = [], start = 0
        var expectedID = 1
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !words.isEmpty { out.append(TaggedSentence(words: words, tags: tags, line: start)) }
                words = []; tags = []; expectedID = 1
                continue
            }
            if line.hasPrefix("#") { continue }
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count == 10 else {
                throw DataError.malformed(path: path, line: n, expected: "10 tab-separated columns", found: "\(cols.count)")
            }
            let id = cols[0]
            if id.contains("-") || id.contains(".") {
                let parts = id.split(whereSeparator: { $0 == "-" || $0 == "." })
                guard parts.count == 2, parts.allSatisfy({ Int($0) != nil }) else {
                    throw DataError.malformed(path: path, line: n, expected: "a word ID (1, 2-3 or 4.1)", found: "'\(id)'")
                }
                continue
            }
            guard let value = Int(id), value >= 1 else {
                throw DataError.malformed(path: path, line: n, expected: "a word ID (1, 2-3 or 4.1)", found: "'\(id)'")
            }
            guard value == expectedID else {
                throw DataError.malformed(path: path, line: n, expected: "word ID \(expectedID)", found: "\(value)")
            }
            expectedID += 1
            if words.isEmpty { start = n }
            words.append(String(cols[1]))
            tags.append(String(cols[column.index]))
        }
        if !words.isEmpty { out.append(TaggedSentence(words: words, tags: tags, line: start)) }
        return out
    }
}

extension CoNLLU {
    /// `text` with the tag `column` of every word line replaced by `tags`
    /// (one list per sentence, in the order ``sentences(_:path:column:)``
    /// reads them); comments, multiword tokens and empty nodes are kept as they are.
    public static func replacingTags(in text: String, path: String, with tags: [[String]], column: TagColumn) throws -> String {
        var out: [Substring] = []
        var sentence = 0, word = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if word > 0 { sentence += 1; word = 0 }
                out.append(line)
                continue
            }
            var cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            if line.hasPrefix("#") || cols.count != 10 || cols[0].contains("-") || cols[0].contains(".") {
                out.append(line)
                continue
            }
            guard sentence < tags.count, word < tags[sentence].count else {
                throw DataError.malformed(path: path, line: out.count + 1, expected: "as many words as were tagged", found: "more")
            }
            cols[column.index] = Substring(tags[sentence][word])
            word += 1
            out.append(Substring(cols.joined(separator: "\t")))
        }
        return out.joined(separator: "\n")
    }

    /// Sentences as CoNLL-U: per word its ID, FORM and the tag in `column`, `_` elsewhere; a blank line after each sentence.
    public static func document(_ sentences: [(words: [String], tags: [String])], column: TagColumn) -> String {
        var out = ""
        for s in sentences {
            for (i, (word, tag)) in zip(s.words, s.tags).enumerated() {
                var cols = [String(i + 1), word] + Array(repeating: "_", count: 8)
                cols[column.index] = tag
                out += cols.joined(separator: "\t") + "\n"
            }
            out += "\n"
        }
        return out
    }
}
