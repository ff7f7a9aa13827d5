import Foundation

/// What one call of ``Trainer/run()`` keeps while it runs: the clock, the
/// window of steps the next progress line averages over, the last validation,
/// the metrics file and the display.
final class TrainingRun {
    let display: ProgressDisplay
    let metrics: MetricsWriter?
    /// The task's parameters, walked once per run.
    let parameters: [Parameter]
    let start = Date()
    /// Training seconds before this run (a resumed run continues the count).
    let earlierSeconds: Double
    let firstStep: Int

    /// The steps since the last progress line: summed loss, items, and when the window opened.
    var windowLoss = 0.0, windowCount = 0, windowItems = 0
    var windowStart = Date()
    var totalItems = 0
    var lastResumeWrite = Date()
    var lastValidation: (loss: Double, metrics: [String: Double])? = nil
    var lastValidatedStep: Int? = nil
    /// Whether this run has written the resume file (errors then name it as intact).
    var wroteCheckpoint = false

    init(display: ProgressDisplay, metrics: MetricsWriter?, parameters: [Parameter], earlierSeconds: Double, firstStep: Int) {
        self.display = display
        self.metrics = metrics
        self.parameters = parameters
        self.earlierSeconds = earlierSeconds
        self.firstStep = firstStep
    }

    /// Training seconds in all, this run's and earlier runs'.
    func elapsed() -> Double { earlierSeconds + Date().timeIntervalSince(start) }

    /// Adds a step's mean `loss` over `count` items to the window.
    func add(loss: Double, count: Int) {
        windowLoss += loss * Double(count)
        windowCount += count
        windowItems += count
        totalItems += count
    }

    /// The window's mean loss (nil when empty) and items per second.
    var window: (loss: Double?, rate: Double) {
        (windowCount > 0 ? windowLoss / Double(windowCount) : nil,
         Double(windowItems) / max(Date().timeIntervalSince(windowStart), 1e-9))
    }

    func closeWindow() {
        windowLoss = 0
        windowCount = 0
        windowItems = 0
        windowStart = Date()
    }
}
