import Foundation

/// Where a data-parallel rank's step time goes, summed over the steps: forward
/// and backward, the all-reduce time the step waited for after backward
/// (exposed), the all-reduce time in all (most of it hidden behind
/// backward), and the rest of the loop (clipping, optimizer, agreements).
package struct StepTiming: Sendable, Equatable {
    package var steps = 0
    package var forwardBackward = 0.0
    package var exposedCommunication = 0.0
    package var communication = 0.0
    /// From the end of one step's reduction to the start of the next step.
    package var rest = 0.0
    var lastEnd: Date? = nil

    package init() {}

    mutating func add(start: Date, computed: Date, reducer: GradientReducer) {
        if let lastEnd { rest += start.timeIntervalSince(lastEnd) }
        steps += 1
        forwardBackward += computed.timeIntervalSince(start)
        exposedCommunication += reducer.lastStep.exposed
        communication += reducer.lastStep.communication
        lastEnd = Date()
    }

    /// The share of all-reduce time that overlapped backward (0 when nothing was sent).
    package var hiddenShare: Double { communication > 0 ? max(0, 1 - exposedCommunication / communication) : 0 }

    /// One line: milliseconds per step of each part.
    package var summary: String {
        let n = Double(max(steps, 1)), restSteps = Double(max(steps - 1, 1))
        return String(format: "per step: forward+backward %.1f ms, all-reduce exposed %.1f ms (%.1f ms in all, %.0f%% hidden behind backward), clipping+optimizer+loop %.1f ms",
                      forwardBackward / n * 1000, exposedCommunication / n * 1000, communication / n * 1000, hiddenShare * 100, rest / restSteps * 1000)
    }
}
