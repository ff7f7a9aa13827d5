/// How text is split into tokens for language modelling.
public enum TextLevel: String, Codable, CaseIterable, Sendable {
    /// One token per Unicode scalar (char-rnn's character level).
    case char
    /// Whitespace-separated words with `<eos>` at the end of every line
    /// (the WikiText / Penn Treebank convention).
    case word

    /// The tokens of `text`.
    public func tokens(_ text: String) -> [String] {
        switch self {
        case .char:
            return text.unicodeScalars.map { String($0) }
        case .word:
            var out: [String] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.isEmpty { continue }
                out.append(contentsOf: words.map(String.init))
                out.append(Vocabulary.endOfSentence)
            }
            return out
        }
    }

    /// Joins generated tokens back into text.
    public func join(_ tokens: [String]) -> String {
        switch self {
        case .char: return tokens.joined()
        case .word:
            return tokens.map { $0 == Vocabulary.endOfSentence ? "\n" : $0 + " " }.joined()
        }
    }
}
