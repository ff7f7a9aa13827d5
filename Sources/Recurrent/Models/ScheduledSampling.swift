/// Scheduled sampling for an encoder-decoder (Bengio et al. 2015): in training,
/// each reference word the decoder would read is replaced, with probability
/// `p`, by the word the model itself predicted there, so that training sees
/// the kind of inputs decoding will feed it. `p` rises linearly from 0 to
/// ``probability`` over the first ``rampEpochs`` epochs, then stays.
///
/// The predictions come from a first teacher-forced pass without gradients
/// (the two-pass form of Mihaylova and Martins 2019): the decoder keeps
/// running all steps in one pass, at the cost of one extra forward pass per
/// batch while `p > 0`.
public struct ScheduledSampling: Codable, Equatable, Sendable {
    /// The largest probability of feeding the model's own prediction, in 0...1.
    public var probability: Double
    /// Epochs over which the probability rises from 0 to ``probability`` (0: at once).
    public var rampEpochs: Double

    /// Scheduled sampling up to `probability`, reached after `rampEpochs` epochs.
    public init(probability: Double, rampEpochs: Double) {
        self.probability = probability
        self.rampEpochs = rampEpochs
    }

    /// The probability of feeding a prediction after `epochs` epochs of training (fractional).
    public func probability(afterEpochs epochs: Double) -> Double {
        guard rampEpochs > 0 else { return probability }
        return probability * min(1, max(0, epochs / rampEpochs))
    }

    /// The words to feed: each of `targets` replaced by the same position of
    /// `predictions` with probability `p`, one draw per word.
    public static func mix(targets: [[Int]], predictions: [[Int]], p: Double, rng: inout SeededRNG) -> [[Int]] {
        zip(targets, predictions).map { y, guess in
            zip(y, guess).map { word, predicted in Double(rng.nextUnitFloat()) < p ? predicted : word }
        }
    }
}
