/// Sentence pairs read from two line-aligned files (line `i` of the target
/// translates line `i` of the source), tokenized for translation.
public struct ParallelText: Sendable {
    /// One pair: the tokenized words and the 1-based line both came from.
    public struct Pair: Sendable, Equatable {
        /// The source sentence's words.
        public var source: [String]
        /// The target sentence's words.
        public var target: [String]
        /// The 1-based line both sentences came from.
        public var line: Int
        /// The target line as read (lowercased when reading lowercases): what BLEU compares a translation with.
        public var reference: String = ""
    }

    /// The pairs kept, in file order.
    public var pairs: [Pair]
    /// Lines skipped because the source or the target line is empty (1-based line numbers).
    public var emptyLines: [Int]
    /// Lines whose source or target had more than the maximum words and were cut.
    public var truncatedLines: [Int]

    /// Reads `source` and `target`; a sentence longer than `maxWords` is cut to its first `maxWords` words.
    /// - Throws: ``DataError`` when a file is missing, empty or not UTF-8, or when the files have different line counts.
    public static func read(source: String, target: String, lowercase: Bool = false, maxWords: Int = 100) throws -> ParallelText {
        let s = lines(try TextFile.read(source)), t = lines(try TextFile.read(target))
        guard s.count == t.count else {
            throw DataError.malformed(path: target, line: min(s.count, t.count) + 1,
                                      expected: "as many lines as \(source) (\(s.count))", found: "\(t.count) lines")
        }
        var out = ParallelText(pairs: [], emptyLines: [], truncatedLines: [])
        for (i, (a, b)) in zip(s, t).enumerated() {
            var x = TranslationText.words(a, lowercase: lowercase), y = TranslationText.words(b, lowercase: lowercase)
            if x.isEmpty || y.isEmpty { out.emptyLines.append(i + 1); continue }
            if x.count > maxWords || y.count > maxWords {
                out.truncatedLines.append(i + 1)
                x = Array(x.prefix(maxWords))
                y = Array(y.prefix(maxWords))
            }
            out.pairs.append(Pair(source: x, target: y, line: i + 1, reference: lowercase ? b.lowercased() : b))
        }
        if out.pairs.isEmpty { throw DataError.empty(path: "\(source) and \(target) (no pair of non-empty lines)") }
        return out
    }

    /// The lines of `text`, without the empty last one a final newline leaves.
    static func lines(_ text: String) -> [String] {
        var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }

    /// One sentence describing skipped and truncated lines, or nil when there were none.
    public func report(source: String, target: String, maxWords: Int) -> String? {
        var parts: [String] = []
        func some(_ l: [Int]) -> String { l.prefix(5).map(String.init).joined(separator: ", ") + (l.count > 5 ? ", ..." : "") }
        if !emptyLines.isEmpty { parts.append("skipped \(emptyLines.count) empty line\(emptyLines.count == 1 ? "" : "s") (line \(some(emptyLines)))") }
        if !truncatedLines.isEmpty {
            parts.append("truncated \(truncatedLines.count) sentence\(truncatedLines.count == 1 ? "" : "s") longer than \(maxWords) words (line \(some(truncatedLines)))")
        }
        return parts.isEmpty ? nil : "\(source) / \(target): " + parts.joined(separator: "; ")
    }
}

/// Tokenization for translation: punctuation split off words (as
/// ``TextTokenizer/word``), case kept or lowered; and the inverse for output.
public enum TranslationText {
    /// The words of `line`: split on whitespace, punctuation split off, lowercased when asked.
    public static func words(_ line: String, lowercase: Bool = false) -> [String] {
        TextTokenizer.word.tokens(line, lowercase: lowercase)
    }

    /// Joins words with spaces, except before closing punctuation (`. , ; : ! ? ) ] }`
    /// and `'s`-style clitics) and after opening brackets; straight double quotes
    /// alternate between opening and closing.
    public static func detokenize(_ words: [String]) -> String {
        let closing: Set<String> = [".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "'", "'s", "n't"]
        let opening: Set<String> = ["(", "[", "{", "$"]
        var out = "", glueNext = true, quoteOpen = false
        for w in words {
            var glue = glueNext || closing.contains(w)
            glueNext = opening.contains(w)
            if w == "\"" {
                if quoteOpen { glue = true } else { glueNext = true }
                quoteOpen.toggle()
            }
            out += (glue ? "" : " ") + w
        }
        return out
    }
}
