import Foundation

/// The training progress a person watches.
///
/// On a terminal, one status line (step, epoch and how far through it, loss,
/// the latest validation figure, speed, time and ETA) is redrawn in place
/// several times a second by a ticker thread, so a slow step or a validation
/// pass still shows time moving; it is cut to the terminal's width, dropping
/// the least useful fields first, so it never wraps. Lines that stay
/// (validations, notes) are printed above it. Elsewhere (a pipe, a file)
/// there are plain lines only: one every `logEvery` steps, one when a
/// validation starts and one with its result.
final class ProgressDisplay: @unchecked Sendable {
    /// What the status line shows; the trainer updates it after each step.
    struct Status {
        var step = 0
        /// 1-based.
        var epoch = 1
        /// How far through the current epoch, 0...1.
        var epochFraction = 0.0
        var loss: Double? = nil
        var learningRate: Float = 0
        var gradientNorm: Float = 0
        /// Items per second over the last steps, and what an item is.
        var rate: Double? = nil
        var unit = ""
        /// The latest validation figure, ready to show ("valid loss 1.2345").
        var lastValidation: String? = nil
        /// How far through the budget by steps and epochs (time is added at each redraw).
        var budgetFraction = 0.0
        /// When the validation pass in progress started.
        var validatingSince: Date? = nil
        /// How far through the validation pass in progress, 0...1.
        var validationFraction: Double? = nil
        /// A pass that trains nothing (`rnn evaluate`): what it does ("evaluating"),
        /// shown with ``budgetFraction`` as how far through it is, instead of the training fields.
        var pass: String? = nil
    }

    /// The redraw interval on a terminal, in seconds.
    static let redrawInterval = 0.2

    let interactive: Bool
    private let log: (String) -> Void
    private let width: () -> Int
    /// Training seconds so far (this run and the ones it resumes); set before ``start()``.
    var elapsed: () -> Double = { 0 }
    /// Writes terminal output as it is, without a newline (tests capture it).
    var draw: (String) -> Void = { text in print(text, terminator: ""); fflush(nil) }
    private let budgetSeconds: Double?
    private let lock = NSLock()
    private var status = Status()
    private var running = false
    private var shown = false

    /// - Parameters:
    ///   - log: writes a line that stays.
    ///   - width: the terminal's width in columns.
    ///   - budgetSeconds: the time budget, if any, for the bar and the ETA.
    init(interactive: Bool, log: @escaping (String) -> Void, width: @escaping () -> Int, budgetSeconds: Double?) {
        self.interactive = interactive
        self.log = log
        self.width = width
        self.budgetSeconds = budgetSeconds
    }

    /// Starts the ticker (on a terminal).
    func start() {
        guard interactive else { return }
        lock.withLock { running = true }
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                Thread.sleep(forTimeInterval: Self.redrawInterval)
                lock.withLock { if running && shown { redraw() } }
            }
        }
    }

    /// Stops the ticker and leaves the last status line on screen (or, `clearing`, erases it).
    func stop(clearing: Bool = false) {
        lock.withLock {
            guard running else { return }
            running = false
            if shown && clearing {
                draw("\r\u{1B}[K")
            } else if shown {
                redraw()
                draw("\n")
            }
            shown = false
        }
    }

    /// Changes the status; on a terminal the first status shows at once, later
    /// ones at the next redraw (steps may come faster than a screen can show).
    func update(_ change: (inout Status) -> Void) {
        lock.withLock {
            change(&status)
            guard interactive && !shown else { return }
            shown = true
            redraw()
        }
    }

    /// The plain progress line for steps (written every `logEvery` steps when not a terminal).
    func logStep() {
        let line = lock.withLock { fields(status, elapsed: elapsed()).map(\.text).joined(separator: "  ") }
        if !interactive { log(line) }
    }

    /// A line that stays, above the status line on a terminal.
    func note(_ line: String) { above { log(line) } }

    /// Runs `body` (which prints lines that stay) with the status line cleared, then redraws it below them.
    func above(_ body: () -> Void) {
        lock.withLock {
            if interactive && shown { draw("\r\u{1B}[K") }
            body()
            if interactive && shown { redraw() }
        }
    }

    // MARK: - Drawing (called with the lock held)

    private func redraw() {
        draw("\r" + Self.fit(fields(status, elapsed: elapsed()), width: width()) + "\u{1B}[K")
    }

    /// The status as fields, each with a priority: the lowest go first when the line is too wide.
    private func fields(_ s: Status, elapsed: Double) -> [(text: String, priority: Int)] {
        var fraction = s.budgetFraction
        if let t = budgetSeconds, t > 0 { fraction = max(fraction, min(elapsed / t, 1)) }
        var f: [(String, Int)] = []
        if interactive {
            let filled = Int((min(max(fraction, 0), 1) * 20).rounded())
            f.append(("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "]", 2))
        }
        if let pass = s.pass {
            f.append((String(format: "%@ %d%%", pass, Int(min(max(fraction, 0), 1) * 100)), 9))
            f.append((Trainer.duration(elapsed), 5))
            if fraction > 0 { f.append(("eta " + Trainer.duration(max(0, elapsed / min(fraction, 1) - elapsed)), 4)) }
            return f
        }
        f.append(("step \(s.step)", 9))
        f.append((String(format: "epoch %d %d%%", s.epoch, Int(min(max(s.epochFraction, 0), 1) * 100)), 8))
        if let since = s.validatingSince {
            let done = s.validationFraction.map { String(format: "%d%% ", Int(min(max($0, 0), 1) * 100)) } ?? ""
            f.append(("validating " + done + Trainer.duration(Date().timeIntervalSince(since)), 9))
        }
        if let loss = s.loss { f.append((String(format: "loss %.4f", loss), 7)) }
        if let v = s.lastValidation { f.append((v, 6)) }
        if s.loss != nil {
            f.append((String(format: "lr %.2e", Double(s.learningRate)), 1))
            f.append((String(format: "|g| %.2f", Double(s.gradientNorm)), 0))
        }
        if let r = s.rate { f.append((String(format: "%.0f %@/s", r, s.unit), 3)) }
        f.append((Trainer.duration(elapsed), 5))
        if fraction > 0 { f.append(("eta " + Trainer.duration(max(0, elapsed / min(fraction, 1) - elapsed)), 4)) }
        return f
    }

    /// The fields joined by two spaces, dropping the lowest priorities until
    /// the line fits in `width - 1` columns (and cut there if still too long).
    static func fit(_ fields: [(text: String, priority: Int)], width: Int) -> String {
        let room = max(width - 1, 10)
        var kept = fields
        func line() -> String { kept.map(\.text).joined(separator: "  ") }
        while line().count > room, let lowest = kept.indices.min(by: { kept[$0].priority < kept[$1].priority }), kept.count > 1 {
            kept.remove(at: lowest)
        }
        return String(line().prefix(room))
    }

    /// The terminal's width in columns: the window size of standard output,
    /// else `$COLUMNS`, else 80.
    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 0 { return c }
        return 80
    }
}
