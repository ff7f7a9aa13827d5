/// What the shared training loop needs from a task model (language model,
/// classifier, tagger, ...): batches to train on, a validation loss, and how
/// to describe the model in a checkpoint.
public protocol TrainingTask: AnyObject {
    /// The model's parameters under their checkpoint names.
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// How many batches make one epoch.
    var batchesPerEpoch: Int { get }
    /// What one counted item is, for throughput ("tokens", "examples").
    var unit: String { get }
    /// The checkpoint's `kind`, configuration JSON and vocabulary.
    var checkpointDescription: (kind: String, config: String, vocabulary: [String]?) { get }
    /// Prepares epoch `epoch` (for example a shuffle seeded by `seed` and the
    /// epoch). Also called when training resumes in the middle of an epoch, so
    /// it must be deterministic and must not reset state that batches carry.
    func startEpoch(_ epoch: Int, seed: UInt64)
    /// Forward and backward on batch `index` of the current epoch, adding into
    /// the parameters' gradients (zeroed by the caller). Returns the mean loss
    /// and how many items it averaged over.
    func trainBatch(_ index: Int, rng: inout SeededRNG) -> (loss: Double, count: Int)
    /// Whether ``validate()`` has data to measure.
    var hasValidationData: Bool { get }
    /// The validation loss and any other metrics, or nil without validation data.
    func validate() -> (loss: Double, metrics: [String: Double])?
    /// State carried between batches (an LM's hidden state), saved for exact resumption.
    var carriedState: [(name: String, tensor: Tensor)] { get }
    /// The shape of each tensor of ``carriedState`` for this model and batch
    /// size: a resume file's carried state is checked against it before use.
    var carriedStateShapes: [String: [Int]] { get }
    func restoreCarriedState(_ tensors: [String: Tensor]) throws
}

extension TrainingTask {
    public var carriedState: [(name: String, tensor: Tensor)] { [] }
    public var carriedStateShapes: [String: [Int]] { [:] }
    public func restoreCarriedState(_ tensors: [String: Tensor]) throws {}
}
