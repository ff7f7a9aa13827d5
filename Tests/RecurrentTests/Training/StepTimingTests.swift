import Foundation
import Testing
@testable import Recurrent

/// Where a data-parallel step's time goes: forward, backward, exposed
/// all-reduce, optimizer and the rest of the loop add up to the wall time of
/// the steps; the language model marks where backward starts, a task that
/// does not is timed as one forward+backward figure.
@Suite(.serialized) struct StepTimingTests {
    /// Trains `makeTask` on 2 in-process ranks for `steps` steps; rank 0's timing.
    static func timing(steps: Int, _ makeTask: @escaping @Sendable (Int) -> any TrainingTask) throws -> StepTiming {
        let dir = TrainerTests.tempDir()
        let results = LocalCommunicator.run(size: 2) { comm in
            let task = makeTask(comm.rank)
            let d = try DistributedTraining(task: task, communicator: comm)
            try d.start(configuration: "test")
            try TrainerTests.quiet(try Trainer(task: task, options: DistributedTests.options(dir, steps: steps), distributed: d)).run()
            return d.timing
        }
        return try results[0].get()
    }

    static func expectPartsAddUpToTheWallTime(_ t: StepTiming, _ what: String) {
        #expect(t.wall > 0, "\(what)")
        // The parts are cut at the same instants, so only the few instructions between two clock readings are lost.
        #expect(abs(t.partsSum - t.wall) <= 0.02 * t.wall + 0.001, "\(what): parts \(t.partsSum) s, wall \(t.wall) s")
        #expect(t.exposedCommunication > 0 && t.optimizer > 0 && t.other >= 0, "\(what): \(t)")
    }

    @Test func theLanguageModelsStepSplitsIntoForwardBackwardAllReduceAndOptimizerThatAddUp() throws {
        let t = try Self.timing(steps: 6) { _ in DistributedTests.lmTask(seed: 1, batch: 2) }
        #expect(t.steps == 6)
        #expect(t.forward > 0 && t.backward > 0 && t.forwardBackward == 0, "\(t)")
        Self.expectPartsAddUpToTheWallTime(t, "language model")
        #expect(t.summary.hasPrefix("per step: ") && t.summary.contains(" = forward ") && t.summary.contains(", backward ")
                && t.summary.contains("all-reduce exposed") && t.summary.contains("clipping+optimizer"), "\(t.summary)")
    }

    @Test func aTaskThatDoesNotMarkBackwardIsTimedAsOneForwardBackwardFigure() throws {
        let t = try Self.timing(steps: 4) { _ in
            let model = ClassificationTests.classifier(.mean, bidirectional: false, seed: 1)
            let texts = ["good film", "bad film very bad", "not good", "not bad at all", "good plot", "bad"]
            let examples = texts.enumerated().map { LabeledText(text: $1, label: $0 % 2 == 0 ? "pos" : "neg", path: "toy", line: $0 + 1) }
            return ClassificationTask(model: model, train: try! model.encode(examples), valid: nil, batch: 3)
        }
        #expect(t.steps == 4 && t.forward == 0 && t.backward == 0 && t.forwardBackward > 0, "\(t)")
        Self.expectPartsAddUpToTheWallTime(t, "classifier")
        #expect(t.summary.contains(" = forward+backward "), "\(t.summary)")
    }
}
