import Foundation

/// What a pass over data in batches that trains nothing (a validation or an
/// evaluation) tells its caller between batches, and asks of it: how far it
/// has got, and whether to go on.
///
/// A pass given a control calls ``proceed(_:of:)`` before each batch and
/// stops at once when it returns false; what it returns then covers only the
/// batches it ran, and ``stopped`` tells the caller to discard it. The
/// trainer stops a validation pass so on Ctrl-C; `rnn evaluate` shows the
/// fraction done on a terminal.
public final class PassControl: @unchecked Sendable {
    private let shouldStop: () -> Bool
    private let progress: (_ done: Int, _ total: Int) -> Void
    /// Whether the pass stopped before its last batch (its result is partial).
    public private(set) var stopped = false
    /// The batches run so far and in all, as last reported.
    public private(set) var done = 0, total = 0
    /// What ``finish()`` does.
    var finished: (() -> Void)?

    /// - Parameters:
    ///   - shouldStop: asked before each batch; true stops the pass.
    ///   - progress: told `done` batches of `total` before each batch and once at the end (`done == total`).
    public init(shouldStop: @escaping () -> Bool = { false }, progress: @escaping (_ done: Int, _ total: Int) -> Void = { _, _ in }) {
        self.shouldStop = shouldStop
        self.progress = progress
    }

    /// Called by the pass before batch `done` (0-based) of `total`, and with
    /// `done == total` when it has run them all: reports the progress and
    /// returns whether to run the batch (false once a stop is asked for, and
    /// from then on, without reporting).
    public func proceed(_ done: Int, of total: Int) -> Bool {
        guard !stopped else { return false }
        self.done = done
        self.total = total
        progress(done, total)
        guard done < total, shouldStop() else { return true }
        stopped = true
        return false
    }
}

extension Optional where Wrapped == PassControl {
    /// Runs `body` on each of `batches` in turn: the pass's loop, with the
    /// control (if any) asked before each batch and told when all have run.
    func forEach<Batch>(_ batches: [Batch], _ body: (Batch) -> Void) {
        for (k, batch) in batches.enumerated() {
            guard self?.proceed(k, of: batches.count) ?? true else { return }
            body(batch)
        }
        _ = self?.proceed(batches.count, of: batches.count)
    }
}

extension PassControl {
    /// A control that shows the pass's progress as training's is shown (see
    /// ``ProgressDisplay``): on a terminal, one line redrawn in place several
    /// times a second with a bar, `what` and the percentage done, the time so
    /// far and an ETA (`[#########...........] evaluating 45%  0m12s  eta 0m15s`),
    /// erased by ``finish()``; when standard output is not a terminal, nothing,
    /// so plain output stays as it is.
    public static func showingProgress(_ what: String, interactive: Bool = isatty(STDOUT_FILENO) != 0) -> PassControl {
        showingProgress(what, display: ProgressDisplay(interactive: interactive, log: { _ in }, width: ProgressDisplay.terminalWidth, budgetSeconds: nil))
    }

    /// ``showingProgress(_:interactive:)`` on `display` (tests capture what it draws).
    static func showingProgress(_ what: String, display: ProgressDisplay) -> PassControl {
        let start = Date()
        display.elapsed = { Date().timeIntervalSince(start) }
        var started = false
        let control = PassControl(progress: { done, total in
            display.update { $0.pass = what; $0.budgetFraction = Double(done) / Double(max(total, 1)) }
            if !started { started = true; display.start() }
        })
        control.finished = { display.stop(clearing: true) }
        return control
    }

    /// Ends the display of a control from ``showingProgress(_:interactive:)``
    /// (erases its line); nothing for other controls. Call it after the pass,
    /// before printing its results.
    public func finish() {
        finished?()
        finished = nil
    }
}
