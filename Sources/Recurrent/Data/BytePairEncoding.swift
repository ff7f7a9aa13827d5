/// Subword units by byte-pair encoding (Sennrich et al. 2016), learned from
/// the words of a training text.
///
/// Learning starts from each word's characters, the last one marked as the
/// end of the word, and merges the most frequent adjacent pair of symbols,
/// counted over all words with their frequencies, until it has made the
/// asked number of merges (or no pair occurs twice). Encoding a word applies
/// the learned merges in the order they were learned. A word's pieces carry
/// ``continuation`` on every piece but the last (`"un@@ believ@@ able"`), so
/// ``join(_:)`` restores the words from any sequence of pieces.
public struct BytePairEncoding: Codable, Equatable, Sendable {
    /// The mark a piece carries when the word goes on in the next piece.
    public static let continuation = "@@"
    /// The mark of a word's last symbol while learning and encoding.
    static let endOfWord = "</w>"

    /// The merges in the order they were learned, each as its two symbols.
    public let merges: [Merge]
    /// Each merge's position in ``merges``.
    let ranks: [Merge: Int]

    /// Two adjacent symbols merged into one; stored as `"left right"` (symbols hold no spaces).
    public struct Merge: Codable, Hashable, Sendable {
        /// The first symbol.
        public var left: String
        /// The second symbol, which follows ``left``.
        public var right: String
        /// The merge of `left` followed by `right`.
        public init(_ left: String, _ right: String) { self.left = left; self.right = right }

        /// Reads a merge stored as `"left right"`.
        public init(from decoder: Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "expected a merge \"left right\", found \"\(text.prefix(40))\""))
            }
            self.init(String(parts[0]), String(parts[1]))
        }

        /// Writes the merge as `"left right"`.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(left + " " + right)
        }
    }

    enum CodingKeys: String, CodingKey { case merges }

    /// An encoding that applies `merges` in this order.
    public init(merges: [Merge]) {
        self.merges = merges
        var ranks: [Merge: Int] = [:]
        for (i, m) in merges.enumerated() where ranks[m] == nil { ranks[m] = i }
        self.ranks = ranks
    }

    /// Reads the merges (`{"merges": ["left right", ...]}`), as checkpoints store them.
    public init(from decoder: Decoder) throws {
        self.init(merges: try decoder.container(keyedBy: CodingKeys.self).decode([Merge].self, forKey: .merges))
    }

    /// Writes the merges as `{"merges": ["left right", ...]}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(merges, forKey: .merges)
    }

    /// Learns up to `count` merges from `words` (each occurrence counts once).
    public init(learningFrom words: [String], merges count: Int) {
        var frequency: [String: Int] = [:]
        for w in words where !w.isEmpty { frequency[w, default: 0] += 1 }
        var learner = Learner(frequency: frequency)
        self.init(merges: learner.learn(count))
    }

    /// The pieces of one word: all but the last end in ``continuation``.
    public func pieces(_ word: String) -> [String] {
        guard !word.isEmpty else { return [] }
        var symbols = word.map(String.init)
        symbols[symbols.count - 1] += Self.endOfWord
        while symbols.count > 1 {
            // The adjacent pair learned earliest, if any.
            var best: (rank: Int, at: Int)? = nil
            for i in 0..<(symbols.count - 1) {
                if let r = ranks[Merge(symbols[i], symbols[i + 1])], r < best?.rank ?? .max { best = (r, i) }
            }
            guard let (rank, _) = best else { break }
            let m = merges[rank]
            // Merge every occurrence of that pair, left to right.
            var merged: [String] = [], i = 0
            while i < symbols.count {
                if i + 1 < symbols.count && symbols[i] == m.left && symbols[i + 1] == m.right {
                    merged.append(m.left + m.right); i += 2
                } else {
                    merged.append(symbols[i]); i += 1
                }
            }
            symbols = merged
        }
        let last = symbols.count - 1
        symbols[last] = String(symbols[last].dropLast(Self.endOfWord.count))
        for i in 0..<last { symbols[i] += Self.continuation }
        return symbols.filter { !$0.isEmpty }
    }

    /// The pieces of each word in turn.
    public func pieces(_ words: [String]) -> [String] { words.flatMap { pieces($0) } }

    /// Words from pieces: a piece ending in ``continuation`` joins the next one.
    /// A trailing unfinished piece becomes a word of its own.
    public static func join(_ pieces: [String]) -> [String] {
        var words: [String] = [], current = ""
        for p in pieces {
            if p.hasSuffix(continuation) && p.count > continuation.count {
                current += p.dropLast(continuation.count)
            } else {
                words.append(current + p)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// The merge-learning loop: pair counts kept up to date as words change, the
/// most frequent pair taken from a max-heap (ties: the pair seen first).
private struct Learner {
    var symbols: [String] = []
    var symbolID: [String: Int] = [:]
    var words: [[Int]] = []
    var counts: [Int] = []
    var pairCount: [Pair: Int] = [:]
    var pairWords: [Pair: Set<Int>] = [:]
    var pairOrder: [Pair: Int] = [:]
    var heap = PairHeap()

    struct Pair: Hashable { var left: Int, right: Int }

    init(frequency: [String: Int]) {
        // Sorted, so that the symbols' ids and the ties' order do not depend on hashing.
        for word in frequency.keys.sorted() {
            var seq = word.map { id(String($0)) }
            seq[seq.count - 1] = id(symbols[seq[seq.count - 1]] + BytePairEncoding.endOfWord)
            words.append(seq)
            counts.append(frequency[word]!)
        }
        for w in words.indices { add(w, sign: 1) }
        for (pair, count) in pairCount { heap.push(count: count, order: pairOrder[pair]!, pair: pair) }
    }

    mutating func id(_ s: String) -> Int {
        if let i = symbolID[s] { return i }
        symbols.append(s)
        symbolID[s] = symbols.count - 1
        return symbols.count - 1
    }

    /// Adds (or with sign -1 removes) word `w`'s pairs to the counts.
    mutating func add(_ w: Int, sign: Int) {
        let seq = words[w]
        guard seq.count > 1 else { return }
        for i in 0..<(seq.count - 1) {
            let p = Pair(left: seq[i], right: seq[i + 1])
            pairCount[p, default: 0] += sign * counts[w]
            if sign > 0 {
                pairWords[p, default: []].insert(w)
                if pairOrder[p] == nil { pairOrder[p] = pairOrder.count }
            }
        }
    }

    mutating func learn(_ count: Int) -> [BytePairEncoding.Merge] {
        var merges: [BytePairEncoding.Merge] = []
        while merges.count < count, let top = heap.pop() {
            guard pairCount[top.pair] == top.count else { continue }      // a stale entry
            guard top.count >= 2 else { break }
            let p = top.pair
            merges.append(.init(symbols[p.left], symbols[p.right]))
            let joined = id(symbols[p.left] + symbols[p.right])
            var touched: Set<Pair> = []
            for w in pairWords[p] ?? [] {
                let seq = words[w]
                var merged: [Int] = [], i = 0
                while i < seq.count {
                    if i + 1 < seq.count && seq[i] == p.left && seq[i + 1] == p.right { merged.append(joined); i += 2 }
                    else { merged.append(seq[i]); i += 1 }
                }
                guard merged.count != seq.count else { continue }
                for i in 0..<(seq.count - 1) { touched.insert(Pair(left: seq[i], right: seq[i + 1])) }
                add(w, sign: -1)
                words[w] = merged
                add(w, sign: 1)
                for i in 0..<max(merged.count - 1, 0) { touched.insert(Pair(left: merged[i], right: merged[i + 1])) }
            }
            pairWords[p] = nil
            for t in touched {
                let c = pairCount[t] ?? 0
                if c > 0 { heap.push(count: c, order: pairOrder[t]!, pair: t) } else { pairCount[t] = nil }
            }
        }
        return merges
    }
}

/// A binary max-heap of (count, -order): the most frequent pair, the earliest seen among equals.
private struct PairHeap {
    typealias Entry = (count: Int, order: Int, pair: Learner.Pair)
    var items: [Entry] = []

    static func above(_ a: Entry, _ b: Entry) -> Bool { a.count != b.count ? a.count > b.count : a.order < b.order }

    mutating func push(count: Int, order: Int, pair: Learner.Pair) {
        items.append((count, order, pair))
        var i = items.count - 1
        while i > 0, Self.above(items[i], items[(i - 1) / 2]) { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, Self.above(items[l], items[m]) { m = l }
            if r < items.count, Self.above(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }
}
