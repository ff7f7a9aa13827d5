import Foundation

/// Why training stopped with an error. Messages say what happened, where, and what to do.
public enum TrainingError: RecurrentError, Equatable {
    /// An option that cannot work: why.
    case invalidOption(String)
    /// The loss became NaN or infinite at `step`; `checkpoint` names the last good one.
    case nonFiniteLoss(step: Int, lastFiniteLoss: Double?, checkpoint: String?)
    /// A gradient became NaN or infinite at `step`; `checkpoint` names the last good one.
    case nonFiniteGradient(step: Int, checkpoint: String?)
    /// The resume file does not match this run (another model, data or batch): why.
    case resumeMismatch(path: String, reason: String)
    /// `--init-from` names a file that does not hold this model.
    case initMismatch(path: String, reason: String)
    /// The training data yields no batch: why.
    case noTrainingData(String)

    /// The message: what happened, where, and what to do.
    public var description: String {
        func kept(_ c: String?) -> String { c.map { " The last good checkpoint, \($0), is intact." } ?? "" }
        switch self {
        case let .invalidOption(why): return "invalid training option: \(why)"
        case let .nonFiniteLoss(step, last, c):
            return "the loss became NaN or infinite at step \(step) (last finite loss: \(last.map { String(format: "%.4f", $0) } ?? "none")); lower the learning rate or clip gradients.\(kept(c))"
        case let .nonFiniteGradient(step, c):
            return "the gradients became NaN or infinite at step \(step); lower the learning rate or clip gradients.\(kept(c))"
        case let .resumeMismatch(path, reason): return "\(path): cannot resume: \(reason)"
        case let .initMismatch(path, reason): return "\(path): cannot initialise from it: \(reason)"
        case let .noTrainingData(why): return "no training data: \(why)"
        }
    }
}
