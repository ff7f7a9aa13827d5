import Foundation
import Testing
@testable import Recurrent

/// Passes that train nothing (validation, evaluation) between their batches:
/// a stop request abandons a validation pass (nothing of it recorded, the
/// best model kept) and the resumed run validates first and goes on exactly;
/// a pass's progress is shown on a terminal and nothing is shown elsewhere.
@Suite struct ValidationStopTests {
    /// The `valid_loss` of each line of a metrics file that has one, by step.
    static func validLosses(_ path: String) throws -> [Double: Double] {
        var out: [Double: Double] = [:]
        for line in try TrainingLoopTests.json(path) {
            if let step = line["step"] as? Double, let loss = line["valid_loss"] as? Double { out[step] = loss }
        }
        return out
    }

    @Test func aStopDuringValidationAbandonsItKeepsTheBestModelAndTheResumedRunIsExact() throws {
        func options(_ dir: String) -> TrainingOptions {
            var o = TrainerTests.options(dir, steps: 6, validateEvery: 2)
            o.metricsPath = dir + "/m.jsonl"
            return o
        }
        // Uninterrupted: 6 steps, a validation every 2.
        let straightDir = TrainerTests.tempDir()
        let straight = TrainingLoopTests.task()
        let straightReport = try TrainerTests.quiet(Trainer(task: straight, options: options(straightDir))).run()

        // Stopped after 2 batches of the second validation pass (at step 4).
        let dir = TrainerTests.tempDir()
        do {    // a scope: the trainer holds the output's lock for its life
            let first = TrainingLoopTests.task()
            let trainer = try Trainer(task: first, options: options(dir))
            trainer.interactive = false
            var lines: [String] = []
            trainer.log = { lines.append($0) }
            // Each pass is kept (not just its ObjectIdentifier): a freed first pass's address could be
            // reused by the second, which then looked like the first and was never stopped (seen in CI).
            var passes: [PassControl] = []
            trainer.stopRequested = {
                guard let pass = first.passControl else { return false }
                if passes.last !== pass { passes.append(pass) }
                return passes.count == 2 && pass.done >= 2
            }
            var bestAfterStep2: Data? = nil
            trainer.afterValidation = { step, _ in if step == 2 { bestAfterStep2 = try? Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors")) } }
            let report = try trainer.run()
            #expect(report.stop == .interrupted && report.progress.step == 4)
            let batches = try #require(first.valid?.batchCount)
            #expect(batches > 2)
            #expect(lines.contains("step 4: validation stopped after 2 of \(batches) batches; the resumed run validates first"), "\(lines)")
            #expect(!lines.contains { $0.hasPrefix("step 4  epoch 1  valid loss") }, "nothing of the abandoned pass is reported: \(lines)")
            #expect(try Self.validLosses(dir + "/m.jsonl").keys.sorted() == [2])
            let modelNow = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
            #expect(bestAfterStep2 != nil && modelNow == bestAfterStep2, "the best model file is unchanged")
        }
        let resumePath = TrainingOptions.resumePath(for: dir + "/model.safetensors")
        let saved = try JSONDecoder().decode(TrainingProgress.self, from: Data((try Checkpoint.read(resumePath).metadata["training_state"] ?? "").utf8))
        #expect(saved.step == 4 && saved.validationPending == true)

        // Resumed in a fresh model: the pending validation first, then on to step 6, as if never stopped.
        let resumed = TrainingLoopTests.task(seed: 99)
        let again = TrainerTests.quiet(try Trainer(task: resumed, options: options(dir)))
        try again.resume(from: resumePath)
        let resumedReport = try again.run()
        #expect(resumedReport.stop == .budget && resumedReport.progress.step == 6)
        for ((name, a), (_, b)) in zip(straight.parameters, resumed.parameters) {
            #expect(a.value.scalars == b.value.scalars, "\(name) differs from the uninterrupted run")
        }
        #expect(try Self.validLosses(dir + "/m.jsonl") == (try Self.validLosses(straightDir + "/m.jsonl")), "the same validations at the same steps")
        #expect(resumedReport.progress.bestLoss == straightReport.progress.bestLoss)
        #expect(resumedReport.progress.validationsWithoutImprovement == straightReport.progress.validationsWithoutImprovement)
        #expect(resumedReport.progress.validationPending == nil)
        #expect(try Checkpoint.read(dir + "/model.safetensors").tensors == (try Checkpoint.read(straightDir + "/model.safetensors").tensors))
    }

    @Test func aResumedRunWhoseFinalValidationWasStoppedValidatesThenFinishes() throws {
        let dir = TrainerTests.tempDir()
        let o = TrainerTests.options(dir, steps: 3, validateEvery: 0)     // validation only at the end of the run (and of epochs)
        // Each trainer in a scope of its own: it holds the output's lock for its life.
        do {
            let first = TrainingLoopTests.task()
            let trainer = TrainerTests.quiet(try Trainer(task: first, options: o))
            trainer.stopRequested = { first.passControl.map { $0.done >= 1 } ?? false }
            #expect(try trainer.run().stop == .interrupted)
        }
        do {
            let again = TrainerTests.quiet(try Trainer(task: TrainingLoopTests.task(seed: 5), options: o))
            try again.resume(from: TrainingOptions.resumePath(for: o.output))
            let report = try again.run()
            #expect(report.stop == .budget && report.progress.step == 3 && report.lastValidationLoss != nil, "not 'already done': the validation was pending")
            #expect(try Checkpoint.read(o.output).metadata["valid_loss"] != nil)
        }
        // Now it is done.
        let third = TrainerTests.quiet(try Trainer(task: TrainingLoopTests.task(seed: 6), options: o))
        try third.resume(from: TrainingOptions.resumePath(for: o.output))
        #expect(try third.run().stop == .alreadyDone)
    }

    @Test func aPassReportsItsProgressAndStopsBetweenBatchesWhenAsked() throws {
        let task = TrainingLoopTests.task()
        let stream = try #require(task.valid)
        var reports: [[Int]] = []
        let whole = PassControl(progress: { reports.append([$0, $1]) })
        let full = task.model.evaluate(stream, control: whole)
        #expect(reports == (0...stream.batchCount).map { [$0, stream.batchCount] } && !whole.stopped)
        #expect(full.tokens == task.model.evaluate(stream).tokens)
        // Asked before each batch: a stop after two batches leaves a partial result, and says so.
        var asked = 0
        let stopping = PassControl(shouldStop: { asked += 1; return asked > 2 })
        let part = task.model.evaluate(stream, control: stopping)
        #expect(stopping.stopped && stopping.done == 2 && stopping.total == stream.batchCount)
        #expect(part.tokens == 2 * stream.sequenceLength * stream.batchSize)
    }

    @Test func aPassShowsARedrawnLineWithTheFractionDoneOnATerminalAndNothingElsewhere() throws {
        let drawn = Drawn()
        let display = ProgressDisplay(interactive: true, log: { _ in }, width: { 80 }, budgetSeconds: nil)
        display.draw = { drawn.append($0) }
        let control = PassControl.showingProgress("evaluating", display: display)
        #expect(control.proceed(0, of: 4) && control.proceed(2, of: 4))
        #expect(CLITests.waitUntil(seconds: 10) { drawn.texts.contains { $0.contains("evaluating 50%") } }, "\(drawn.texts)")
        control.finish()
        let line = try #require(drawn.texts.last { $0.contains("evaluating 50%") })
        #expect(line.hasPrefix("\r[##########..........]  evaluating 50%  0m") && line.contains("  eta 0m"), "\(line.debugDescription)")
        #expect(drawn.texts.last == "\r\u{1B}[K", "the line is erased before the results are printed")

        let plain = Drawn()
        let quiet = ProgressDisplay(interactive: false, log: { plain.append($0) }, width: { 80 }, budgetSeconds: nil)
        quiet.draw = { plain.append($0) }
        let off = PassControl.showingProgress("evaluating", display: quiet)
        for k in 0...4 { _ = off.proceed(k, of: 4) }
        off.finish()
        #expect(plain.texts.isEmpty, "not a terminal: nothing")
    }
}
