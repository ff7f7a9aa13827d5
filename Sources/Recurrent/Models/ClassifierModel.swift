/// What the shared classification machinery (``ClassificationTask``,
/// evaluation, prediction) needs from a many-to-one model, whatever its
/// input: token ids for text, scaled values for numeric sequences.
public protocol ClassifierModel: Layer {
    /// One encoded example (a token-id sequence, an ``EncodedSeries``).
    associatedtype Input
    /// The checkpoint `kind`.
    static var kind: String { get }
    /// Class names in id order.
    var labels: [String] { get }
    /// The configuration JSON stored in checkpoints.
    var configJSON: String { get }
    /// The vocabulary stored in checkpoints, when the model has one.
    var checkpointVocabulary: [String]? { get }
    /// The number of time steps of `input` (used to batch examples of similar length).
    func length(of input: Input) -> Int
    /// The logits `[B, C]` (in `outputs`) of a batch; with `targets`, also the
    /// mean cross-entropy over the `B` examples, and in training the gradients
    /// are added into the parameters. Without targets the loss is NaN and the count 0.
    func loss(_ batch: [Input], targets: [Int]?, training: Bool, rng: inout SeededRNG) -> BatchLoss<Tensor>
}

extension ClassifierModel {
    /// Class probabilities for each encoded input, in batches of 64.
    public func probabilities(_ inputs: [Input]) -> [[Float]] {
        var rng = SeededRNG(seed: 0)
        var out: [[Float]] = []
        for start in stride(from: 0, to: inputs.count, by: 64) {
            let logits = loss(Array(inputs[start..<min(start + 64, inputs.count)]), targets: nil, training: false, rng: &rng).outputs
            out += PooledRecurrentStack.probabilities(logits)
        }
        return out
    }

    /// Accuracy, macro-F1 and the confusion matrix on `data`, with the mean loss.
    /// `control` is told the progress and may stop the pass between batches (see ``PassControl``).
    public func evaluate(_ data: LabeledInputs<Input>, batch: Int = 64, control: PassControl? = nil) -> (loss: Double, metrics: ClassificationMetrics) {
        var metrics = ClassificationMetrics(labels: labels)
        var rng = SeededRNG(seed: 0)
        var total = 0.0
        let order = LengthBatcher(lengths: data.sequences.map(length(of:)), batchSize: batch).batches(epoch: 0, seed: 0, shuffle: false)
        control.forEach(order) { indices in
            let r = loss(indices.map { data.sequences[$0] }, targets: indices.map { data.labels[$0] }, training: false, rng: &rng)
            total += r.loss * Double(indices.count)
            for (b, i) in indices.enumerated() { metrics.add(truth: data.labels[i], predicted: r.outputs.argmax(row: b)) }
        }
        return (total / Double(max(data.labels.count, 1)), metrics)
    }

    /// Label ids of `labels` (one per example, with where it came from); a label
    /// the model does not know is an error naming the file and line.
    public func labelIDs(_ labels: [(label: String?, path: String, line: Int)]) throws -> [Int] {
        let ids = Dictionary(uniqueKeysWithValues: self.labels.enumerated().map { ($1, $0) })
        return try labels.map { e in
            guard let label = e.label else {
                throw DataError.malformed(path: e.path, line: e.line, expected: "a label", found: "none")
            }
            guard let id = ids[label] else {
                throw LabelError(description: "\(e.path):\(e.line): label '\(label)' was not seen in training; the model knows \(self.labels.joined(separator: ", "))")
            }
            return id
        }
    }
}

/// Throws unless a classifier's class names are at least 2, all distinct.
func validateClassifierLabels(_ labels: [String]) throws(ConfigurationError) {
    if labels.count < 2 { throw .invalidValue(setting: "a classifier's labels", value: "\(labels.count)", expected: "must number at least 2") }
    if Set(labels).count != labels.count { throw .unmetRule(setting: "labels", expected: "must be distinct") }
}
