import Foundation

extension Trainer {
    /// Forward and backward on the next batch. Data-parallel: with this rank's
    /// random generator for the step, then the gradients summed over the ranks
    /// (before clipping) and the loss averaged over all ranks' items.
    func trainBatch() throws -> BatchLoss<Void> {
        guard let distributed else { return task.trainBatch(progress.batchIndex, rng: &rng) }
        let start = Date()
        distributed.reducer.beginStep()
        var stepRNG = distributed.stepRNG(seed: options.seed, step: progress.step)
        var backwardStart: Date? = nil
        task.backwardStarts = { backwardStart = Date() }
        let r = task.trainBatch(progress.batchIndex, rng: &stepRNG)
        task.backwardStarts = nil
        let computed = Date()
        let reduced = try distributed.reducer.finish(loss: r.loss, count: r.count, stopSignal: stopRequested())
        distributed.timing.add(start: start, backwardStart: backwardStart, computed: computed, reduced: Date(), reducer: distributed.reducer)
        return BatchLoss(loss: reduced.loss, count: reduced.count)
    }

    /// Whether ``stopRequested`` says stop (data-parallel: on any rank, by the end of the last step's reduction).
    func stopSignalled() -> Bool {
        distributed?.reducer.stopSignalled ?? stopRequested()
    }

    /// Whether the budget is spent; a time budget is rank 0's clock when data-parallel.
    func budgetSpent(_ r: TrainingRun) throws -> Bool {
        let spent = options.budget.isSpent(progress, elapsed: r.elapsed())
        return options.budget.seconds == nil ? spent : try agreed(spent)
    }

    /// The task's validation. Data-parallel: a task that splits its validation
    /// set (``TrainingTask/validationSums()``) validates its share on each rank
    /// and the sums are added; otherwise every rank validates and rank 0's
    /// result is sent to all (a GEMM backend chosen by timing may differ between
    /// ranks in the last bit, and early stopping must not).
    func validation() throws -> (loss: Double, metrics: [String: Double])? {
        if let distributed, var sums = task.validationSums() {
            try distributed.communicator.allReduceSum(&sums)
            return task.validation(fromSums: sums)
        }
        guard let v = task.validationResult() else { return nil }
        guard let distributed else { return v }
        let keys = v.metrics.keys.sorted()
        var values = [v.loss] + keys.map { v.metrics[$0] ?? 0 }
        try values.withUnsafeMutableBytes { try distributed.communicator.broadcast($0, root: 0) }
        return (values[0], Dictionary(uniqueKeysWithValues: zip(keys, values.dropFirst())))
    }

    /// `decision` (made from a clock), or rank 0's when data-parallel, so every rank acts alike.
    func agreed(_ decision: Bool) throws -> Bool {
        try distributed.map { try $0.rootDecides(decision) } ?? decision
    }
}
