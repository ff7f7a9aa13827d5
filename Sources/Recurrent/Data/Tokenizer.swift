/// How text is split into tokens for language modelling.
public enum TextLevel: String, Codable, CaseIterable, Sendable {
    /// One token per Unicode scalar (char-rnn's character level).
    case char
    /// Whitespace-separated words with `<eos>` at the end of every line, an
    /// empty line too (the WikiText / Penn Treebank convention, by which their
    /// published token counts and perplexities are taken).
    case word

    /// The tokens of `text`.
    public func tokens(_ text: String) -> [String] {
        switch self {
        case .char:
            return text.unicodeScalars.map { String($0) }
        case .word:
            var out: [String] = []
            // Lines end at \n, \r\n or a lone \r, and words part where str.split() parts them, as PyTorch's
            // recipe reads a file (Python's universal newlines).
            var lines = text.split(omittingEmptySubsequences: false, whereSeparator: Self.endsLine)
            if lines.last?.isEmpty == true { lines.removeLast() }  // the text's final newline ends a line; it starts none
            for line in lines {
                out.append(contentsOf: line.unicodeScalars.split(whereSeparator: Self.separatesWords).map { String(String.UnicodeScalarView($0)) })
                out.append(Vocabulary.endOfSentence)
            }
            return out
        }
    }

    /// Whether `s` parts words: what Python's `str.split()` splits on (Unicode white space, and the
    /// separators U+001C-U+001F), scalar by scalar, so WikiText's and PTB's counts come out as published.
    public static func separatesWords(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace || (0x1C...0x1F).contains(s.value) }

    /// Whether `c` ends a line of words: `\n`, `\r\n` or a lone `\r`.
    public static func endsLine(_ c: Character) -> Bool { c == "\n" || c == "\r" || c == "\r\n" }

    /// Joins generated tokens back into text.
    public func join(_ tokens: [String]) -> String {
        switch self {
        case .char: return tokens.joined()
        case .word:
            return tokens.map { $0 == Vocabulary.endOfSentence ? "\n" : $0 + " " }.joined()
        }
    }
}
