/// The long-range memory task of the seeds (and of `LearningTests`): step 0
/// shows one of 4 symbols, then `distractors` random symbols (4 others)
/// follow; the label is the first symbol, to be read from the final state.
/// Inputs are one-hot over the 8 symbols.
public enum LongRangeRecall {
    /// The one-hot input width: 4 symbols to remember and 4 distractors.
    public static let symbols = 8
    /// The number of symbols to remember, the classes of the label.
    public static let classes = 4

    /// A batch: `x` is `[distractors + 1, B, 8]`, with `B` labels in `0..<4`.
    public static func batch(_ B: Int, distractors: Int, rng: inout SeededRNG) -> (x: Tensor, labels: [Int]) {
        let labels = (0..<B).map { _ in rng.nextInt(below: classes) }
        var x = Tensor.zeros([distractors + 1, B, symbols])
        for (b, label) in labels.enumerated() { x[0, b, label] = 1 }
        for t in stride(from: 1, through: distractors, by: 1) {
            for b in 0..<B { x[t, b, classes + rng.nextInt(below: classes)] = 1 }
        }
        return (x, labels)
    }
}
