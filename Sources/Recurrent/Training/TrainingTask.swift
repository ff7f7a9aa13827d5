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
    /// and how many items it averaged over, as every model's `loss` does.
    func trainBatch(_ index: Int, rng: inout SeededRNG) -> BatchLoss<Void>
    /// Whether ``validationResult()`` has data to measure.
    var hasValidationData: Bool { get }
    /// The validation loss and any other metrics, or nil without validation data.
    func validationResult() -> (loss: Double, metrics: [String: Double])?
    /// Given to the validation pass (``validationResult()``, ``validationSums()``)
    /// between its batches: the trainer shows its progress and stops it on a
    /// stop request. A task that ignores it validates to the end.
    var passControl: PassControl? { get set }
    /// State carried between batches (an LM's hidden state), saved for exact resumption.
    var carriedState: [(name: String, tensor: Tensor)] { get }
    /// The shape of each tensor of ``carriedState`` for this model and batch
    /// size: a resume file's carried state is checked against it before use.
    var carriedStateShapes: [String: [Int]] { get }
    /// Restores the state saved from ``carriedState`` (checked against ``carriedStateShapes``).
    func restoreCarriedState(_ tensors: [String: Tensor]) throws
    /// Told during ``trainBatch(_:rng:)``'s backward pass which parameters'
    /// gradients are final (see ``GradientsReady``); a task that never calls
    /// it still trains data-parallel, its gradients reduced after backward.
    var gradientsReady: GradientsReady? { get set }
    /// Told during ``trainBatch(_:rng:)`` when its backward pass starts (after
    /// the forward pass and the loss), so that step timing can split the two
    /// (see ``StepTiming``); a task that never calls it is timed as one figure.
    var backwardStarts: (() -> Void)? { get set }
    /// Restricts training batches to this rank's share of the data, for
    /// data-parallel training over `size` ranks (the `rnn` tool's `--distributed`).
    /// Returns nil when done, or why the task cannot be split so.
    func shard(rank: Int, size: Int) -> String?
    /// Data-parallel validation: this rank's share of the validation set as
    /// sums the ranks add up, or nil when every rank validates the whole set.
    func validationSums() -> [Double]?
    /// The validation loss and metrics from ``validationSums()`` added over the ranks.
    func validation(fromSums sums: [Double]) -> (loss: Double, metrics: [String: Double])
}

extension TrainingTask {
    /// Default: no carried state.
    public var carriedState: [(name: String, tensor: Tensor)] { [] }
    /// Default: no carried state.
    public var carriedStateShapes: [String: [Int]] { [:] }
    /// Default: nothing to restore.
    public func restoreCarriedState(_ tensors: [String: Tensor]) throws {}
    /// Default: never told (its gradients are reduced after backward).
    public var gradientsReady: GradientsReady? { get { nil } set {} }
    /// Default: no pass control (the validation pass runs to its end).
    public var passControl: PassControl? { get { nil } set {} }
    /// Default: backward's start is not marked (step timing shows forward and backward as one figure).
    public var backwardStarts: (() -> Void)? { get { nil } set {} }
    /// Default: the task cannot be split among ranks; says so.
    public func shard(rank: Int, size: Int) -> String? { "this task cannot be trained with --distributed yet" }
    /// Default: every rank validates the whole set.
    public func validationSums() -> [Double]? { nil }
    /// Default: the first sum as the loss, no metrics.
    public func validation(fromSums sums: [Double]) -> (loss: Double, metrics: [String: Double]) { (sums.first ?? .nan, [:]) }
}
