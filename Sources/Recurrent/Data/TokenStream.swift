/// A long sequence of token ids cut into `B` contiguous streams for truncated
/// BPTT, as char-rnn and the PyTorch word-language-model example do: row `b`
/// of every batch continues where row `b` of the previous batch stopped, so the
/// recurrent state can be carried from batch to batch.
public struct TokenStream: Sendable {
    /// `[B, L]`: stream `b` is `ids[b*L ..< (b+1)*L]`.
    public let ids: [Int]
    /// `B`, the number of parallel streams.
    public let batchSize: Int
    /// `L`, the tokens in each stream.
    public let streamLength: Int
    /// `T`, the steps of a full batch (the BPTT length).
    public let sequenceLength: Int

    /// Cuts `ids` into `batchSize` streams (the tail that does not divide is dropped).
    public init(ids: [Int], batchSize: Int, sequenceLength: Int) {
        precondition(batchSize > 0 && sequenceLength > 0, "TokenStream needs positive batch and sequence sizes")
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.streamLength = ids.count / batchSize
        self.ids = Array(ids.prefix(streamLength * batchSize))
    }

    /// Batches per pass: each needs `T` inputs and the next token as target.
    public var batchCount: Int { streamLength > 1 ? (streamLength - 2) / sequenceLength + 1 : 0 }

    /// Batch `k`: inputs and targets, time-major `[T, B]` (the last batch may be shorter).
    public func batch(_ k: Int) -> (inputs: [Int], targets: [Int], steps: Int) {
        precondition(k >= 0 && k < batchCount, "TokenStream: batch \(k) outside 0..<\(batchCount)")
        let start = k * sequenceLength
        let T = min(sequenceLength, streamLength - 1 - start)
        let B = batchSize
        var inputs = [Int](repeating: 0, count: T * B), targets = inputs
        for b in 0..<B {
            let base = b * streamLength + start
            for t in 0..<T {
                inputs[t * B + b] = ids[base + t]
                targets[t * B + b] = ids[base + t + 1]
            }
        }
        return (inputs, targets, T)
    }
}
