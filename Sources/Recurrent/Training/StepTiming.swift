import Foundation

/// Where a data-parallel rank's training time goes, summed over the steps.
///
/// Each step is cut at the moments it passes from one part to the next, so
/// the parts add up to the wall time from the first step's start to the last
/// step's end (``wall``):
/// - forward: the step's start to the start of backward (a task marks it
///   through ``TrainingTask/backwardStarts``; the language model does, after
///   its loss and the gradient of the logits);
/// - backward: from there to the end of backward (for a task that does not
///   mark the start, forward and backward are one figure, ``forwardBackward``);
/// - exposed all-reduce: the time the step waited, after backward, for the
///   gradients and the loss to be summed over the ranks;
/// - optimizer: gradient clipping and the parameter update;
/// - other: the rest of the loop between steps (progress and metrics lines,
///   validation passes, checkpoints).
package struct StepTiming: Sendable, Equatable {
    package var steps = 0
    package var forward = 0.0
    package var backward = 0.0
    /// Forward and backward of steps whose task did not mark where backward starts.
    package var forwardBackward = 0.0
    package var exposedCommunication = 0.0
    package var optimizer = 0.0
    package var other = 0.0
    /// All-reduce time in all, most of it hidden behind backward.
    package var communication = 0.0
    /// The part of ``communication`` the steps waited for after backward (the rest overlapped it).
    var communicationWaited = 0.0
    var firstStart: Date? = nil
    var lastEnd: Date? = nil

    package init() {}

    /// From the first step's start to the last step's end.
    package var wall: Double {
        guard let firstStart, let lastEnd else { return 0 }
        return lastEnd.timeIntervalSince(firstStart)
    }

    /// The parts added: ``wall`` up to the few instructions between them.
    package var partsSum: Double { forward + backward + forwardBackward + exposedCommunication + optimizer + other }

    /// A step's forward and backward (`backwardStart` nil when the task did not mark it) and the reduction after it.
    mutating func add(start: Date, backwardStart: Date?, computed: Date, reduced: Date, reducer: GradientReducer) {
        if let lastEnd { other += start.timeIntervalSince(lastEnd) } else { firstStart = start }
        steps += 1
        if let b = backwardStart, b >= start, b <= computed {
            forward += b.timeIntervalSince(start)
            backward += computed.timeIntervalSince(b)
        } else {
            forwardBackward += computed.timeIntervalSince(start)
        }
        exposedCommunication += reduced.timeIntervalSince(computed)
        communication += reducer.lastStep.communication
        communicationWaited += reducer.lastStep.exposed
        lastEnd = reduced
    }

    /// The step's clipping and update, from `start` (after the reduction) to now.
    mutating func addOptimizer(start: Date) {
        let end = Date()
        if let lastEnd { other += start.timeIntervalSince(lastEnd) }
        optimizer += end.timeIntervalSince(start)
        lastEnd = end
    }

    /// The share of all-reduce time that overlapped backward (0 when nothing was sent).
    package var hiddenShare: Double { communication > 0 ? max(0, 1 - communicationWaited / communication) : 0 }

    /// One line: milliseconds per step of each part.
    package var summary: String {
        let n = Double(max(steps, 1))
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds / n * 1000) }
        let compute = forwardBackward > 0 && forward + backward == 0 ? "forward+backward \(ms(forwardBackward))"
            : "forward \(ms(forward)), backward \(ms(backward))" + (forwardBackward > 0 ? ", unsplit forward+backward \(ms(forwardBackward))" : "")
        return "per step: \(ms(wall)) = " + compute
            + ", all-reduce exposed \(ms(exposedCommunication)) (\(ms(communication)) in all, \(String(format: "%.0f", hiddenShare * 100))% hidden behind backward)"
            + ", clipping+optimizer \(ms(optimizer)), other \(ms(other))"
    }
}
