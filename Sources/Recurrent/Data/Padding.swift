/// Pads sequences of different lengths into one batch.
enum Padding {
    /// A padded time-major batch of id sequences: `ids` is `[T, B]` (step `t`
    /// of sequence `b` at `t * B + b`, `padID` past each sequence's end), `T`
    /// the longest length, and each sequence's own length.
    static func timeMajor(_ sequences: [[Int]], padID: Int) -> (ids: [Int], T: Int, lengths: [Int]) {
        let T = sequences.map(\.count).max() ?? 0, B = sequences.count
        var ids = [Int](repeating: padID, count: T * B)
        for (b, s) in sequences.enumerated() { for (t, id) in s.enumerated() { ids[t * B + b] = id } }
        return (ids, T, sequences.map(\.count))
    }
}
