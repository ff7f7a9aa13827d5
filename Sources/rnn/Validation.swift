import ArgumentParser
import Foundation
import Recurrent

/// Checks shared by every command's `validate()`: each throws a
/// `ValidationError` (exit 64) that names the option, the accepted range and
/// the value given. New commands call these for every numeric option, so
/// NaN, infinities, zero, negatives and values that would overflow later are
/// refused before any work starts.
enum Check {
    /// `value` must be a finite number in `range` (NaN and infinities are refused).
    static func number<F: BinaryFloatingPoint>(_ value: F, _ option: String, in range: ClosedRange<F>, _ hint: String = "") throws {
        guard value.isFinite, range.contains(value) else {
            let upper = range.upperBound == .greatestFiniteMagnitude ? "finite" : "at most \(range.upperBound)"
            throw ValidationError("\(option) must be at least \(range.lowerBound) and \(upper)\(hint), got \(value)")
        }
    }

    /// `value` must be a finite number above zero and at most `maximum`.
    static func positive<F: BinaryFloatingPoint>(_ value: F, _ option: String, atMost maximum: F = .greatestFiniteMagnitude,
                                                 _ hint: String = "") throws {
        guard value.isFinite, value > 0, value <= maximum else {
            let bound = maximum == .greatestFiniteMagnitude ? " and finite" : " and at most \(maximum)\(hint)"
            throw ValidationError("\(option) must be positive\(bound), got \(value)")
        }
    }

    /// A library `validate()` (a budget, a precision, a schedule, a model
    /// configuration built from the options): its `ConfigurationError` becomes a usage error.
    static func settings(_ validate: @autoclosure () throws(ConfigurationError) -> Void) throws {
        do { try validate() } catch { throw ValidationError(error.description) }
    }

    /// `value` must lie in `range`.
    static func count(_ value: Int, _ option: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            let what = "at least \(range.lowerBound)" + (range.upperBound == Int.max ? "" : " and at most \(range.upperBound)")
            throw ValidationError("\(option) must be \(what), got \(value)")
        }
    }

    /// Refuses a model too large to train or load here: more than 2^31 - 1
    /// parameters, or (with gradients and two optimizer moments, 16 bytes per
    /// parameter) more than this machine's memory. `parameterCount` is nil
    /// when the sizes overflow.
    static func trainable(_ parameterCount: Int?) throws {
        let memory = ProcessInfo.processInfo.physicalMemory
        if let n = parameterCount, n <= Int(Int32.max), UInt64(n) * 16 <= memory { return }
        let count = parameterCount.map { "\($0) parameters" } ?? "more parameters than can be counted"
        throw UsageError(description: "--hidden, --layers and --embedding (with the vocabulary) describe a model of \(count); "
            + "at most \(min(Int(Int32.max), Int(memory / 16))) fit in this machine's \(memory >> 30) GB with gradients and optimizer state")
    }
}

extension Int {
    /// `self + 1` for a window of `self` steps plus its target, without overflowing at `Int.max`.
    var plusOneSaturating: Int { self == .max ? .max : self + 1 }
}
