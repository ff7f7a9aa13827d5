/// How classification and tagging inputs are split into tokens.
public enum TextTokenizer: String, Codable, CaseIterable, Sendable {
    /// One token per Unicode scalar.
    case char
    /// Split on whitespace only.
    case whitespace
    /// Split on whitespace and split punctuation off words ("don't!" -> "don't", "!").
    case word
    /// Subword pieces: the words of ``word``, each cut into byte-pair pieces
    /// (``BytePairEncoding``) by merges learned from the training texts and
    /// kept with the model (``SequenceClassifierConfig/subwords``). Without
    /// the merges, ``tokens(_:lowercase:)`` gives the words to cut.
    case bpe

    /// The tokens of `text` (lowercased first when `lowercase`).
    public func tokens(_ text: String, lowercase: Bool = false) -> [String] {
        let t = lowercase ? text.lowercased() : text
        switch self {
        case .char: return t.unicodeScalars.map { String($0) }
        case .whitespace: return t.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        case .word, .bpe:
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

extension TextTokenizer {
    /// The share of word tokens above which ``suggested(for:lowercase:)`` leaves words.
    public static let sparseWordShare = 0.10
    /// The mean text length, in characters, above which ``suggested(for:lowercase:)``
    /// takes subwords rather than characters when words are sparse.
    public static let longTextCharacters = 200.0

    /// Words, unless they are too sparse to learn from; then characters, unless
    /// the texts are long, then subword pieces. The share of `texts`' word tokens whose word
    /// occurs once is Good and Turing's estimate of how much of new text will
    /// be words never seen in training; above ``sparseWordShare`` (names: about
    /// 0.85; SST-2: 0.18 for 1,000 phrases, 0.07 for 5,000) words are too
    /// sparse. Characters then make a recurrent step per character: past a mean
    /// of ``longTextCharacters`` per text (long reviews) that is slow and long
    /// to carry a signal through, and byte-pair pieces (a word or a few pieces
    /// of one per step) are the better units.
    public static func suggested(for texts: [String], lowercase: Bool = false)
        -> (tokenizer: TextTokenizer, singletonShare: Double, meanCharacters: Double) {
        var counts: [String: Int] = [:]
        var total = 0, characters = 0
        for text in texts {
            characters += text.unicodeScalars.count
            for token in TextTokenizer.word.tokens(text, lowercase: lowercase) {
                counts[token, default: 0] += 1
                total += 1
            }
        }
        let singletons = counts.values.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        let share = total == 0 ? 1 : Double(singletons) / Double(total)
        let mean = texts.isEmpty ? 0 : Double(characters) / Double(texts.count)
        let choice: TextTokenizer = share <= sparseWordShare ? .word : mean > longTextCharacters ? .bpe : .char
        return (choice, share, mean)
    }
}
