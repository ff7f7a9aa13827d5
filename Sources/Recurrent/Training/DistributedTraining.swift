import Foundation

/// Data-parallel training of one task over the ranks of a ``Communicator``:
/// each rank holds the whole model and trains on its own share of every
/// batch (``TrainingTask/shard(rank:size:)``); gradients are summed by a
/// ``GradientReducer`` before clipping and the optimizer step, so every rank
/// takes the same step. Rank 0 writes checkpoints, metrics and progress.
/// Decisions that depend on a clock or a signal (time budget, periodic
/// checkpoints, Ctrl-C) are rank 0's, sent to all, so no rank waits for one
/// that has stopped.
package final class DistributedTraining {
    package let communicator: Communicator
    package let reducer: GradientReducer
    package var rank: Int { communicator.rank }
    package var size: Int { communicator.size }
    /// Whether this rank writes checkpoints and metrics (rank 0).
    package var isWriter: Bool { communicator.rank == 0 }
    /// Where this rank's training time went.
    package internal(set) var timing = StepTiming()

    /// Restricts `task` to this rank's share and routes its backward reports
    /// to the reducer; throws, on every rank, when the task cannot be split.
    /// Collective: every rank constructs one at the same point.
    package init(task: any TrainingTask, communicator: Communicator) throws {
        self.communicator = communicator
        let why = task.shard(rank: communicator.rank, size: communicator.size)
        try communicator.agree(why.map { CommunicatorError.disagreement("rank \(communicator.rank): \($0)") }, what: "split the data")
        reducer = GradientReducer(communicator: communicator, parameters: task.parameters)
        task.gradientsReady = { [reducer] in reducer.ready($0) }
    }

    /// Checks that every rank runs the same configuration (`description`:
    /// the binary's build and the run's options) and copies rank 0's
    /// parameters to all. Call before training (and after a resume).
    package func start(configuration description: String) throws {
        try communicator.requireSameHash(configurationHash(description), of: "the configuration hash")
        try reducer.broadcastParameters()
    }

    /// A hash of every parameter's bits: equal on all ranks after each step.
    package var parameterHash: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (_, p) in reducer.parameters {
            for x in p.value.scalars {
                h ^= UInt64(x.bitPattern)
                h = h &* 0x100_0000_01b3
            }
        }
        return h
    }

    /// Checks that every rank holds bitwise the same parameters (throws on
    /// every rank otherwise, naming the ranks that differ); returns the hash.
    @discardableResult
    package func requireEqualParameters() throws -> UInt64 {
        let h = parameterHash
        try communicator.requireSameHash(h, of: "the parameters after training")
        return h
    }

    /// Rank 0's `decision`, on every rank.
    package func rootDecides(_ decision: Bool) throws -> Bool {
        var flag = [communicator.rank == 0 && decision ? 1.0 : 0.0]
        try communicator.allReduceSum(&flag)
        return flag[0] != 0
    }

    /// The random generator for step `step` on this rank (dropout masks differ
    /// between ranks, and a resumed run draws what an uninterrupted one would).
    package func stepRNG(seed: UInt64, step: Int) -> SeededRNG {
        var mix = seed ^ 0x9E37_79B9_7F4A_7C15
        mix = mix &* 0xBF58_476D_1CE4_E5B9 ^ UInt64(truncatingIfNeeded: step)
        mix = mix &* 0x94D0_49BB_1331_11EB ^ UInt64(truncatingIfNeeded: communicator.rank)
        return SeededRNG(seed: mix)
    }

    /// Every rank's `tensors` (same names and shapes on all ranks, `[A, b, ...]`)
    /// joined along axis 1 in rank order, `[A, size*b, ...]`: the layout one
    /// process with the whole batch has. Collective.
    package func gatherBatchAxis(_ tensors: [(name: String, tensor: Tensor)]) throws -> [(name: String, tensor: Tensor)] {
        try tensors.map { name, t in
            guard t.shape.count >= 2 else { throw CommunicatorError.mismatch(rank: rank, operation: "gathering \(name)", detail: "shape \(t.shape) has no batch axis") }
            let outer = t.shape[0], inner = t.count / max(outer, 1)
            var all = [Float](repeating: 0, count: t.count * size)
            for a in 0..<outer {
                for i in 0..<inner { all[(a * size + rank) * inner + i] = t.scalars[a * inner + i] }
            }
            try communicator.allReduceSum(&all)
            var shape = t.shape
            shape[1] *= size
            return (name, Tensor(shape: shape, scalars: all))
        }
    }
}
