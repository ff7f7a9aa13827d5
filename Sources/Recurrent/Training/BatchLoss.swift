/// What one batch through a model gives back: the forward pass, the loss and,
/// when training, the backward pass that adds into every parameter's gradient.
///
/// Every task model has one such method, named `loss` (``LanguageModel``,
/// ``SequenceClassifier``, ``SequenceTagger``, ``Seq2Seq``,
/// ``ConditionalGenerator``, ``Forecaster``, ``NumericSequenceClassifier``), and
/// returns this shape: the mean loss, what it is the mean over, and what else
/// the pass computed, in ``outputs``.
///
/// ```swift
/// let r = classifier.loss(batch, targets: labels, training: true, rng: &rng)
/// total += r.loss * Double(r.count)       // the summed loss
/// let logits = r.outputs                  // [B, C]
/// ```
public struct BatchLoss<Outputs> {
    /// The mean loss over ``count`` predictions (cross-entropy in nats per
    /// token, example or word; MSE or MAE per value). NaN when no targets were given.
    public var loss: Double
    /// How many predictions ``loss`` is the mean of (tokens, examples, words or
    /// values); 0 when no targets were given.
    public var count: Int
    /// What else the pass computed, documented by each model's `loss`: the
    /// logits, the final recurrent state, the attention weights and predictions.
    public var outputs: Outputs

    /// A batch's mean `loss` over `count` predictions, with the pass's `outputs`.
    public init(loss: Double, count: Int, outputs: Outputs) {
        self.loss = loss
        self.count = count
        self.outputs = outputs
    }

    /// The summed loss, `loss * count` (0 when nothing was counted).
    public var sum: Double { count == 0 ? 0 : loss * Double(count) }
}

extension BatchLoss: Sendable where Outputs: Sendable {}

extension BatchLoss where Outputs == Void {
    /// A batch's mean `loss` over `count` predictions, with nothing else to
    /// return: what ``TrainingTask/trainBatch(_:rng:)`` gives the trainer.
    public init(loss: Double, count: Int) {
        self.init(loss: loss, count: count, outputs: ())
    }
}
