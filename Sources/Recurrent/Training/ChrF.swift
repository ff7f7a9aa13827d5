/// Corpus chrF as sacreBLEU computes it by default (Popović 2015): character
/// n-grams of orders 1...6 of each line with whitespace removed, matches
/// clipped per line, statistics summed over the corpus; precision and recall
/// averaged over the orders that occur in both, then
/// `F_beta = (1 + beta^2) P R / (beta^2 P + R)` with `beta = 2`, in percent.
public struct ChrF: Sendable, Equatable {
    /// The score in `[0, 100]`.
    public let score: Double
    /// The highest character n-gram order, 6.
    public static let order = 6
    /// `β`, the weight of recall against precision, 2.
    public static let beta = 2.0

    /// The corpus chrF of `hypotheses` against `references` (same count, detokenized text).
    public init(hypotheses: [String], references: [String]) {
        precondition(hypotheses.count == references.count, "chrF: \(hypotheses.count) hypotheses for \(references.count) references")
        var hypCount = [Int](repeating: 0, count: Self.order), refCount = hypCount, matches = hypCount
        for (hyp, ref) in zip(hypotheses, references) {
            let h = Array(hyp.unicodeScalars.filter { !BLEU.isSpace($0) }), r = Array(ref.unicodeScalars.filter { !BLEU.isSpace($0) })
            for n in 1...Self.order {
                let hc = ngramCounts(h, n), rc = ngramCounts(r, n)
                hypCount[n - 1] += max(0, h.count - n + 1)
                refCount[n - 1] += max(0, r.count - n + 1)
                for (gram, k) in hc { matches[n - 1] += min(k, rc[gram] ?? 0) }
            }
        }
        var precision = 0.0, recall = 0.0, orders = 0
        for n in 0..<Self.order where hypCount[n] > 0 && refCount[n] > 0 {
            precision += Double(matches[n]) / Double(hypCount[n])
            recall += Double(matches[n]) / Double(refCount[n])
            orders += 1
        }
        if orders > 0 { precision /= Double(orders); recall /= Double(orders) }
        let f = Self.beta * Self.beta
        score = precision + recall > 0 ? 100 * (1 + f) * precision * recall / (f * precision + recall) : 0
    }
}
