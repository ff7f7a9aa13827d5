import Foundation

extension ConditionalGenerator {
    /// One condition for generation: the label's vector, a feature row, or nothing.
    public enum Condition: Sendable {
        /// No condition (an unconditioned generator).
        case none
        /// A label id: its row of the model's condition embedding.
        case label(Int)
        /// A feature vector of `Z` values.
        case features([Float])
    }

    /// A batch-1 decoder set to `condition`: its initial state from the bridge,
    /// and the condition held by the stepper when it is fed at every step.
    func generator(for condition: Condition) -> (generator: TokenGenerator, state: RecurrentState) {
        let input: ConditionInput
        switch condition {
        case .none: input = .none(count: 1)
        case let .label(id): input = .labels([id])
        case let .features(f): input = .features(Tensor(shape: [1, f.count], scalars: f))
        }
        let generator = TokenGenerator(embedding: embedding, rnn: rnn, head: head)
        let z = conditionVectors(input).z
        if config.feedEveryStep, let z { generator.stepper.setCondition(z.scalars) }
        let state = z.flatMap { z in bridge?.forward(z).state } ?? rnn.zeroState(batch: 1)
        generator.stepper.reset(to: state)
        return (generator, state)
    }

    /// Generates one sequence for `condition`: feeds `<eos>` and `prime`, then
    /// picks tokens (sampled, top-k, or argmax) until `<eos>` or `maxLength`
    /// tokens. Returns the generated tokens after the prime, without `<eos>`.
    public func generate(_ condition: Condition, prime: [Int] = [], maxLength: Int, options: SamplingOptions = SamplingOptions(),
                         rng: inout SeededRNG) -> [Int] {
        precondition(options.temperature > 0, "sampling temperature must be positive, got \(options.temperature)")
        let generator = self.generator(for: condition).generator
        var logits = generator.next(Self.endID)
        for id in prime { logits = generator.next(id) }
        var out: [Int] = []
        while out.count < maxLength {
            let next = pickToken(logits, options, &rng)
            if next == Self.endID { break }
            out.append(next)
            logits = generator.next(next)
        }
        return out
    }

    /// The `width` most probable continuations of `prime` for `condition` by
    /// beam search (``BeamSearch``), best first, each with its log-probability.
    public func beamSearch(_ condition: Condition, prime: [Int] = [], width: Int, maxLength: Int,
                           lengthPenalty: Double = 0) -> [BeamSearch.Hypothesis] {
        let (generator, _) = self.generator(for: condition)
        var last = Self.endID
        for id in prime { _ = generator.next(last); last = id }
        let search = BeamSearch(width: width, maxLength: maxLength, endToken: Self.endID, lengthPenalty: lengthPenalty)
        return search.search(generator, from: generator.stepper.state, first: last)
    }
}
