/// A bidirectional map between tokens and ids `0..<count`.
public struct Vocabulary: Equatable, Sendable, Codable {
    /// Tokens in id order.
    public let tokens: [String]
    private let ids: [String: Int]
    /// The id of the unknown-token symbol, when the vocabulary has one.
    public let unknownID: Int?

    /// The unknown-token symbol, `<unk>`.
    public static let unknown = "<unk>"
    /// The end-of-sentence symbol, `<eos>`.
    public static let endOfSentence = "<eos>"
    /// The padding symbol, `<pad>`.
    public static let padding = "<pad>"

    /// A vocabulary of `tokens` in this order (duplicates are a programmer error).
    public init(tokens: [String]) {
        var ids: [String: Int] = [:]
        for (i, t) in tokens.enumerated() {
            precondition(ids[t] == nil, "Vocabulary: duplicate token \(t.debugDescription)")
            ids[t] = i
        }
        self.tokens = tokens
        self.ids = ids
        self.unknownID = ids[Self.unknown]
    }

    /// The vocabulary of `stream`: `specials` first, then tokens seen at least
    /// `minimumCount` times, most frequent first (ties in first-seen order).
    public init<S: Sequence>(counting stream: S, specials: [String] = [], minimumCount: Int = 1) where S.Element == String {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for t in stream {
            if counts[t] == nil { order.append(t) }
            counts[t, default: 0] += 1
        }
        let first = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let kept = order.filter { counts[$0]! >= minimumCount && !specials.contains($0) }
            .sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : first[$0]! < first[$1]! }
        self.init(tokens: specials + kept)
    }

    /// The number of tokens, `V`.
    public var count: Int { tokens.count }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(_ token: String) -> Int? { ids[token] }

    /// The id of `token`, or the unknown id (nil if there is none).
    public func idOrUnknown(_ token: String) -> Int? { ids[token] ?? unknownID }

    /// The token with id `id` (in `0..<count`).
    public func token(_ id: Int) -> String { tokens[id] }

    enum CodingKeys: CodingKey { case tokens }
    /// Reads a vocabulary stored as `{"tokens": [...]}`; duplicate tokens are a decoding error.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try c.decode([String].self, forKey: .tokens)
        guard Set(tokens).count == tokens.count else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: c, debugDescription: "duplicate tokens in vocabulary")
        }
        self.init(tokens: tokens)
    }
    /// Writes the vocabulary as `{"tokens": [...]}`, in id order.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
    }
}
