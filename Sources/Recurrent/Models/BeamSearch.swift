import Foundation

/// A decoder that beam search (and sampling) can drive: given the token just
/// chosen and the state before it, the log-probabilities of the next token and
/// the state after it. A language model, a conditional generator or a
/// translation decoder each conform by wrapping their own stepper.
public protocol NextTokenModel {
    /// The decoder's state between tokens (a recurrent state, a stepper's buffers).
    associatedtype State
    /// Feeds `token` from `state`; returns `log p(next | ..., token)` (`V` values) and the new state.
    func logProbabilities(after token: Int, from state: State) -> (logProbabilities: [Float], state: State)
}

/// Beam search over a ``NextTokenModel``: keeps the `width` most probable
/// partial sequences at every step, sets aside those that end with
/// `endToken`, and stops after `maxLength` tokens or when no unfinished beam
/// can beat the finished ones. Scores are summed log-probabilities divided by
/// `length^lengthPenalty` (0: no normalisation).
public struct BeamSearch: Sendable {
    /// How many partial sequences are kept at each step.
    public var width: Int
    /// The most tokens a hypothesis may have.
    public var maxLength: Int
    /// The token that ends a sequence (not included in the result), or nil to run `maxLength` tokens.
    public var endToken: Int?
    /// `α` of the score `log p / length^α` (0: summed log-probability alone).
    public var lengthPenalty: Double

    /// One result: the tokens chosen (without the end token), their summed log-probability and score.
    public struct Hypothesis: Sendable, Equatable {
        /// The tokens chosen, without the end token.
        public var tokens: [Int]
        /// Their summed log-probability (natural log).
        public var logProbability: Double
        /// Whether it ended with the end token (else it reached ``BeamSearch/maxLength``).
        public var finished: Bool
        /// The ranking score, `logProbability / length^lengthPenalty`.
        public var score: Double
    }

    /// A search keeping `width` beams for at most `maxLength` tokens.
    public init(width: Int, maxLength: Int, endToken: Int?, lengthPenalty: Double = 0) {
        precondition(width >= 1 && maxLength >= 0, "BeamSearch needs width >= 1 and maxLength >= 0, got \(width), \(maxLength)")
        self.width = width
        self.maxLength = maxLength
        self.endToken = endToken
        self.lengthPenalty = lengthPenalty
    }

    func score(_ logProbability: Double, length: Int) -> Double {
        lengthPenalty == 0 ? logProbability : logProbability / pow(Double(max(length, 1)), lengthPenalty)
    }

    /// Searches from `state`, feeding `first` (a start marker, or the last token of a prime).
    /// - Returns: up to `width` hypotheses, best first; finished ones before unfinished ones.
    public func search<M: NextTokenModel>(_ model: M, from state: M.State, first: Int) -> [Hypothesis] {
        typealias Beam = (tokens: [Int], logProbability: Double, state: M.State, last: Int)
        var live: [Beam] = [(tokens: [], logProbability: 0, state: state, last: first)]
        var finished: [Hypothesis] = []
        for _ in 0..<maxLength {
            var candidates: [(beam: Int, token: Int, logProbability: Double)] = []
            var states: [M.State] = []
            for (i, beam) in live.enumerated() {
                let r = model.logProbabilities(after: beam.last, from: beam.state)
                states.append(r.state)
                // Only the `width` best continuations of each beam can survive.
                let best = r.logProbabilities.indices.sorted { r.logProbabilities[$0] > r.logProbabilities[$1] }.prefix(width)
                for v in best { candidates.append((i, v, beam.logProbability + Double(r.logProbabilities[v]))) }
            }
            candidates.sort { $0.logProbability > $1.logProbability }
            var next: [Beam] = []
            for c in candidates {
                if c.token == endToken {
                    let tokens = live[c.beam].tokens
                    finished.append(Hypothesis(tokens: tokens, logProbability: c.logProbability, finished: true,
                                               score: score(c.logProbability, length: tokens.count + 1)))
                } else if next.count < width {
                    next.append((tokens: live[c.beam].tokens + [c.token], logProbability: c.logProbability,
                                 state: states[c.beam], last: c.token))
                }
                if next.count == width && finished.count >= width { break }
            }
            live = next
            finished.sort { $0.score > $1.score }
            finished = Array(finished.prefix(width))
            // Log-probabilities only fall, so without length normalisation a full
            // set of finished hypotheses better than every live beam is final.
            if live.isEmpty { break }
            if finished.count >= width, lengthPenalty == 0, let worst = finished.last,
               live.allSatisfy({ $0.logProbability <= worst.score }) { break }
        }
        let open = live.map { Hypothesis(tokens: $0.tokens, logProbability: $0.logProbability, finished: endToken == nil,
                                         score: score($0.logProbability, length: $0.tokens.count)) }
        let all = finished + (finished.count < width || endToken == nil ? open : [])
        return Array(all.sorted { a, b in a.finished != b.finished ? a.finished : a.score > b.score }.prefix(width))
    }
}
