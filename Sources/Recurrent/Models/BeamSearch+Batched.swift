/// A decoder that ``BeamSearch`` can drive for many rows at once (the beams
/// of many sentences in one batch): the batched sibling of ``NextTokenModel``.
public protocol BatchedNextTokenModel {
    /// The state of all rows between tokens.
    associatedtype State
    /// Feeds `tokens[n]` to row `n` of `state`; returns `log p(next | ...)`
    /// for every row (`[N, V]`) and the state after.
    func logProbabilities(after tokens: [Int], from state: State) -> (logProbabilities: Tensor, state: State)
    /// The rows `rows` of `state`, in that order (a row may repeat: beams that share a parent).
    func selecting(rows: [Int], of state: State) -> State
}

extension BeamSearch {
    /// Beam search for many sequences at once, with the same rules as
    /// ``search(_:from:first:)`` applied to each: every step feeds the live
    /// beams of all unfinished sequences to `model` as one batch.
    ///
    /// - Parameters:
    ///   - state: one row per sequence.
    ///   - first: the token fed first to each sequence (a start marker).
    ///   - maxLengths: a maximum length per sequence (for example relative to
    ///     its source); ``maxLength`` for all when nil.
    /// - Returns: for each sequence, up to `width` hypotheses, best first.
    public func search<M: BatchedNextTokenModel>(_ model: M, from state: M.State, first: [Int], maxLengths: [Int]? = nil) -> [[Hypothesis]] {
        let count = first.count
        let limits = maxLengths ?? Array(repeating: maxLength, count: count)
        precondition(limits.count == count, "BeamSearch: \(limits.count) maximum lengths for \(count) sequences")
        var live: [[BatchedBeam]] = (0..<count).map { [BatchedBeam(tokens: [], logProbability: 0, row: $0, last: first[$0])] }
        var finished = [[Hypothesis]](repeating: [], count: count)
        var active = (0..<count).map { limits[$0] > 0 }
        var state = state
        var rowsInState = Array(0..<count)
        for t in 0..<(limits.max() ?? 0) {
            for s in 0..<count where active[s] && t >= limits[s] { active[s] = false }
            // Gather the live beams' rows, in sequence order, into the batch of this step.
            var rows: [Int] = [], lasts: [Int] = []
            for s in 0..<count where active[s] {
                for i in live[s].indices {
                    rows.append(live[s][i].row)
                    lasts.append(live[s][i].last)
                    live[s][i].row = rows.count - 1
                }
            }
            if rows.isEmpty { break }
            if rows != rowsInState { state = model.selecting(rows: rows, of: state) }
            let r = model.logProbabilities(after: lasts, from: state)
            state = r.state
            let V = r.logProbabilities.shape[1]
            r.logProbabilities.withUnsafeBufferPointer { lp in
                for s in 0..<count where active[s] {
                    var candidates: [(beam: Int, token: Int, logProbability: Double)] = []
                    for (i, beam) in live[s].enumerated() {
                        let row = UnsafeBufferPointer(rebasing: lp[(beam.row * V)..<((beam.row + 1) * V)])
                        for v in topIndices(row, width) { candidates.append((i, v, beam.logProbability + Double(row[v]))) }
                    }
                    candidates.sort { $0.logProbability > $1.logProbability }
                    var next: [BatchedBeam] = []
                    for c in candidates {
                        let parent = live[s][c.beam]
                        if c.token == endToken {
                            finished[s].append(Hypothesis(tokens: parent.tokens, logProbability: c.logProbability, finished: true,
                                                          score: score(c.logProbability, length: parent.tokens.count + 1)))
                        } else if next.count < width {
                            next.append(BatchedBeam(tokens: parent.tokens + [c.token], logProbability: c.logProbability, row: parent.row, last: c.token))
                        }
                        if next.count == width && finished[s].count >= width { break }
                    }
                    live[s] = next
                    finished[s].sort { $0.score > $1.score }
                    finished[s] = Array(finished[s].prefix(width))
                    if live[s].isEmpty {
                        active[s] = false
                    } else if finished[s].count >= width, lengthPenalty == 0, let worst = finished[s].last,
                              live[s].allSatisfy({ $0.logProbability <= worst.score }) {
                        active[s] = false
                    }
                }
            }
            rowsInState = Array(0..<rows.count)
        }
        return (0..<count).map { s in
            let open = live[s].map { Hypothesis(tokens: $0.tokens, logProbability: $0.logProbability, finished: endToken == nil,
                                                score: score($0.logProbability, length: $0.tokens.count)) }
            let all = finished[s] + (finished[s].count < width || endToken == nil ? open : [])
            return Array(all.sorted { a, b in a.finished != b.finished ? a.finished : a.score > b.score }.prefix(width))
        }
    }
}

/// A partial sequence of a batched search: its tokens, log-probability, row in the batch and last token.
struct BatchedBeam { var tokens: [Int]; var logProbability: Double; var row: Int; var last: Int }

/// The indices of the `k` largest values of `row`, largest first (the first on ties).
func topIndices(_ row: UnsafeBufferPointer<Float>, _ k: Int) -> [Int] {
    var best: [Int] = []
    best.reserveCapacity(k + 1)
    for v in row.indices {
        if best.count == k, let last = best.last, !(row[v] > row[last]) { continue }
        var i = best.count
        while i > 0 && row[v] > row[best[i - 1]] { i -= 1 }
        best.insert(v, at: i)
        if best.count > k { best.removeLast() }
    }
    return best
}
