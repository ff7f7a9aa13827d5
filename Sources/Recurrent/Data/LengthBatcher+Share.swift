extension LengthBatcher {
    /// Rank `rank`'s share of `batch` (example indices) when `size` ranks
    /// train on it together: a contiguous run of the batch holding about
    /// `1/size` of its tokens by ``lengths``, so ranks with long and short
    /// examples finish at about the same time. Each example goes to the rank
    /// whose token range holds its middle; the shares of all ranks, in rank
    /// order, are `batch`. A share may be empty (fewer examples than ranks).
    public func share(of batch: [Int], rank: Int, size: Int) -> [Int] {
        guard size > 1 else { return batch }
        let weights = batch.map { Double(Swift.max(1, lengths[$0])) }
        let total = weights.reduce(0, +)
        var start = 0.0
        var mine: [Int] = []
        for (example, w) in zip(batch, weights) {
            let owner = Swift.min(size - 1, Int((start + w / 2) / total * Double(size)))
            if owner == rank { mine.append(example) }
            start += w
        }
        return mine
    }
}
