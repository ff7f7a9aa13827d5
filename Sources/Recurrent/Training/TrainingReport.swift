/// What a training run did.
public struct TrainingReport: Sendable {
    /// Why the run ended: its budget was spent, early stopping, a stop was
    /// requested (Ctrl-C), or the budget was spent before it started (a
    /// finished run resumed: nothing trained, nothing written).
    public enum Stop: String, Sendable { case budget, earlyStopping, interrupted, alreadyDone }
    /// Where training stood when the run ended.
    public var progress: TrainingProgress
    /// Why the run ended.
    public var stop: Stop
    /// The last validation loss, nil without validation.
    public var lastValidationLoss: Double?
    /// The last validation's other metrics by name (`accuracy`, `bleu`, ...).
    public var lastMetrics: [String: Double]
    /// Items per second over the run.
    public var throughput: Double

    /// How far the run got, 1-based: `3 epochs` after whole epochs, else
    /// `epoch 2, 40% through` (never "0 epochs").
    public var epochsDescription: String {
        let p = progress
        if p.batchIndex == 0 && p.epoch > 0 { return p.epoch == 1 ? "1 epoch" : "\(p.epoch) epochs" }
        let through = p.batchesPerEpoch.map { Int((Double(p.batchIndex) / Double(max($0, 1)) * 100).rounded(.down)) }
        return "epoch \(p.epoch + 1)" + (through.map { ", \($0)% through" } ?? "")
    }
}
