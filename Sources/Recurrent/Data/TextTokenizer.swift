/// How classification and tagging inputs are split into tokens.
public enum TextTokenizer: String, Codable, CaseIterable, Sendable {
    /// One token per Unicode scalar.
    case char
    /// Split on whitespace only.
    case whitespace
    /// Split on whitespace and split punctuation off words ("don't!" -> "don't", "!").
    case word

    public func tokens(_ text: String, lowercase: Bool = false) -> [String] {
        let t = lowercase ? text.lowercased() : text
        switch self {
        case .char: return t.unicodeScalars.map { String($0) }
        case .whitespace: return t.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        case .word:
            var out: [String] = []
            for piece in t.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                var current = ""
                let chars = Array(piece)
                for (i, c) in chars.enumerated() {
                    let inner = c == "'" || c == "-"
                    let between = i > 0 && i < chars.count - 1 && chars[i - 1].isLetter && chars[i + 1].isLetter
                    if c.isPunctuation || c.isSymbol, !(inner && between) {
                        if !current.isEmpty { out.append(current); current = "" }
                        out.append(String(c))
                    } else {
                        current.append(c)
                    }
                }
                if !current.isEmpty { out.append(current) }
            }
            return out
        }
    }
}
