/// Groups examples of similar length into batches, so padding stays small:
/// the examples are shuffled, cut into pools of `poolBatches` batches, each
/// pool sorted by length and cut into batches, and the batches shuffled.
/// The same seed and epoch give the same batches.
public struct LengthBatcher: Sendable {
    /// The length of each example, by index.
    public let lengths: [Int]
    /// Examples per batch (the last batch may be smaller).
    public let batchSize: Int
    /// How many batches' worth of examples are sorted together (more: less padding, less randomness).
    public var poolBatches = 50

    /// Batches of `batchSize` over examples of the given `lengths`.
    public init(lengths: [Int], batchSize: Int) {
        precondition(batchSize > 0, "LengthBatcher needs a positive batch size")
        self.lengths = lengths
        // A batch never holds more than every example (and `--batch 2^63-1` cannot overflow the counts below).
        self.batchSize = min(batchSize, max(1, lengths.count))
    }

    /// The batches (example indices) of `epoch`.
    public func batches(epoch: Int, seed: UInt64, shuffle: Bool = true) -> [[Int]] {
        var order = Array(lengths.indices)
        var rng = SeededRNG(seed: seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
        if shuffle { order.shuffle(using: &rng) }
        var batches: [[Int]] = []
        let pool = batchSize * poolBatches
        for start in stride(from: 0, to: order.count, by: pool) {
            let chunk = order[start..<min(start + pool, order.count)].sorted { lengths[$0] < lengths[$1] }
            for b in stride(from: 0, to: chunk.count, by: batchSize) {
                batches.append(Array(chunk[(chunk.startIndex + b)..<min(chunk.startIndex + b + batchSize, chunk.endIndex)]))
            }
        }
        if shuffle { batches.shuffle(using: &rng) }
        return batches
    }

    /// Batches per epoch.
    public var batchCount: Int { (lengths.count + batchSize - 1) / batchSize }
}
