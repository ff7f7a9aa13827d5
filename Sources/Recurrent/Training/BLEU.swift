import Foundation

/// Corpus BLEU as sacreBLEU computes it by default (Papineni et al. 2002;
/// Post 2018): lines tokenized by mteval-v13a's rules (``tokenize13a(_:)``),
/// n-grams of orders 1...4 clipped by the reference's counts and summed over
/// the corpus, brevity penalty `exp(1 - r/c)` when the output is shorter,
/// and the exponential of the mean log precision; an order with no match
/// gets `1 / (2^k * total)` (the "exp" smoothing, `k` counting such orders).
/// One reference per hypothesis.
public struct BLEU: Sendable, Equatable {
    /// The score in `[0, 100]`.
    public let score: Double
    /// Precisions of orders 1...4 in percent.
    public let precisions: [Double]
    /// The brevity penalty, `exp(1 - r/c)` when the hypotheses are shorter than the references, else 1.
    public let brevityPenalty: Double
    /// Total tokens of the hypotheses and of the references.
    public let hypothesisLength: Int, referenceLength: Int

    /// The highest n-gram order counted, 4.
    public static let maxOrder = 4

    /// The corpus BLEU of `hypotheses` against `references` (same count, detokenized text).
    public init(hypotheses: [String], references: [String]) {
        precondition(hypotheses.count == references.count, "BLEU: \(hypotheses.count) hypotheses for \(references.count) references")
        var correct = [Int](repeating: 0, count: Self.maxOrder), total = correct
        var c = 0, r = 0
        for (hyp, ref) in zip(hypotheses, references) {
            let h = Self.tokenize13a(hyp).split(separator: " ").map(String.init)
            let g = Self.tokenize13a(ref).split(separator: " ").map(String.init)
            c += h.count
            r += g.count
            for n in 1...Self.maxOrder {
                let hc = ngramCounts(h, n), rc = ngramCounts(g, n)
                total[n - 1] += max(0, h.count - n + 1)
                for (gram, k) in hc { correct[n - 1] += min(k, rc[gram] ?? 0) }
            }
        }
        hypothesisLength = c
        referenceLength = r
        brevityPenalty = c < r ? (c > 0 ? Foundation.exp(1 - Double(r) / Double(c)) : 0) : 1
        var precisions = [Double](repeating: 0, count: Self.maxOrder)
        guard correct.contains(where: { $0 > 0 }) else {
            self.precisions = precisions
            score = 0
            return
        }
        var smooth = 1.0
        for n in 0..<Self.maxOrder {
            if total[n] == 0 { break }
            if correct[n] == 0 {
                smooth *= 2
                precisions[n] = 100 / (smooth * Double(total[n]))
            } else {
                precisions[n] = 100 * Double(correct[n]) / Double(total[n])
            }
        }
        self.precisions = precisions
        // sacreBLEU floors log(0) at -9999999999, which makes the score 0.
        let meanLog = precisions.map { $0 > 0 ? Foundation.log($0) : -9_999_999_999 }.reduce(0, +) / Double(Self.maxOrder)
        score = brevityPenalty * Foundation.exp(meanLog)
    }

    /// mteval-v13a's tokenization as sacreBLEU's `13a` applies it: trailing
    /// whitespace dropped, `&quot; &amp; &lt; &gt;` unescaped, ASCII punctuation
    /// and symbols split off, periods and commas split off unless between
    /// digits, a dash after a digit split off; tokens joined by single spaces.
    public static func tokenize13a(_ text: String) -> String {
        var line = String(text.unicodeScalars.reversed().drop(while: { isSpace($0) }).reversed().map(Character.init))
        line = line.replacingOccurrences(of: "<skipped>", with: "").replacingOccurrences(of: "-\n", with: "")
            .replacingOccurrences(of: "\n", with: " ")
        if line.contains("&") {
            line = line.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        var s: [Unicode.Scalar] = [" "] + Array(line.unicodeScalars) + [" "]
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 '
        s = s.flatMap { c -> [Unicode.Scalar] in
            let v = c.value
            let punctuation = (0x7B...0x7E).contains(v) || (0x5B...0x60).contains(v) || (0x20...0x26).contains(v)
                || (0x28...0x2B).contains(v) || (0x3A...0x40).contains(v) || v == 0x2F
            return punctuation ? [" ", c, " "] : [c]
        }
        let isDigit = { (c: Unicode.Scalar) in ("0"..."9").contains(c) }
        let isPeriodOrComma = { (c: Unicode.Scalar) in c == "." || c == "," }
        // ([^0-9])([\.,]) -> '\1 \2 ';  ([\.,])([^0-9]) -> ' \1 \2';  ([0-9])(-) -> '\1 \2 '
        s = substitutePairs(s, { !isDigit($0) }, isPeriodOrComma) { [$0, " ", $1, " "] }
        s = substitutePairs(s, isPeriodOrComma, { !isDigit($0) }) { [" ", $0, " ", $1] }
        s = substitutePairs(s, isDigit, { $0 == "-" }) { [$0, " ", $1, " "] }
        var tokens: [String] = [], current = String.UnicodeScalarView()
        for c in s {
            if isSpace(c) {
                if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens.joined(separator: " ")
    }

    /// Python's `re.sub` of a two-character pattern: non-overlapping matches, left to right.
    static func substitutePairs(_ s: [Unicode.Scalar], _ first: (Unicode.Scalar) -> Bool, _ second: (Unicode.Scalar) -> Bool,
                                _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count + s.count / 4)
        var i = 0
        while i < s.count {
            if i + 1 < s.count, first(s[i]), second(s[i + 1]) {
                out += replacement(s[i], s[i + 1])
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `str.split()` whitespace.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }
}

/// Counts of the `n`-grams of `items`, keyed by the n-gram.
func ngramCounts<T: Hashable>(_ items: [T], _ n: Int) -> [ArraySlice<T>: Int] {
    var counts: [ArraySlice<T>: Int] = [:]
    if items.count >= n { for i in 0...(items.count - n) { counts[items[i..<(i + n)], default: 0] += 1 } }
    return counts
}
