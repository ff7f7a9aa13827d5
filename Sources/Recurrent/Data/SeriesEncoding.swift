import Foundation

/// What to do with a missing value (`?`, `NaN`, an empty CSV field).
public enum MissingValues: String, Codable, CaseIterable, Sendable {
    /// Refuse: a missing value is an error naming the file and line.
    case refuse
    /// Carry the channel's last observed value forward (its first observed
    /// value before that; the training mean when the channel has none).
    case carry
    /// Zero (the training mean after scaling) with a mask channel per channel:
    /// 1 where observed, 0 where missing. Doubles the input size.
    case mask
}

/// One numeric sequence as the recurrent layers read it: `[T, I]` row-major.
public struct EncodedSeries: Sendable, Equatable {
    /// `[T, I]` row-major: step `t`'s `I` inputs at `values[t * I ..< (t + 1) * I]`.
    public var values: [Float]
    /// `T`.
    public var length: Int

    /// A sequence of `length` steps whose inputs are `values` (`length * I` of them).
    public init(values: [Float], length: Int) {
        self.values = values
        self.length = length
    }
}

/// Per-channel standardisation, `(x - mean) / std`, fitted on training data
/// and stored in the checkpoint so prediction scales inputs the same way.
public struct ChannelScaling: Codable, Equatable, Sendable {
    /// Each channel's mean, `[F]`.
    public var mean: [Float]
    /// Each channel's standard deviation, `[F]` (1 for a constant channel).
    public var std: [Float]

    /// A scaling with these per-channel means and standard deviations (`F` each).
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// `F`.
    public var channels: Int { mean.count }

    /// Mean and standard deviation of each channel over the observed values of
    /// `cases` (summed in Double); a constant or empty channel gets std 1.
    public static func fit(_ cases: [TimeSeriesCase], channels F: Int) -> ChannelScaling {
        var sum = [Double](repeating: 0, count: F), sq = sum, n = sum
        for c in cases where c.channels == F {
            for (i, v) in c.values.enumerated() where !v.isNaN {
                let f = i % F, d = Double(v)
                sum[f] += d; sq[f] += d * d; n[f] += 1
            }
        }
        var mean = [Float](repeating: 0, count: F), std = [Float](repeating: 1, count: F)
        for f in 0..<F where n[f] > 0 {
            let m = sum[f] / n[f], variance = max(0, sq[f] / n[f] - m * m)
            mean[f] = Float(m)
            if variance.squareRoot() > 1e-8 * max(1, abs(m)) { std[f] = Float(variance.squareRoot()) }
        }
        return ChannelScaling(mean: mean, std: std)
    }

    /// The size of one encoded step for `missing` and `patch`.
    public func inputSize(missing: MissingValues, patch: Int) -> Int { channels * (missing == .mask ? 2 : 1) * patch }

    /// Scales `c`, fills or masks its missing values, and groups every `patch`
    /// consecutive steps into one (`ceil(T / patch)` steps of `patch * F'`
    /// values, the last group padded with zeros).
    public func encode(_ c: TimeSeriesCase, missing: MissingValues, patch: Int = 1) throws -> EncodedSeries {
        let F = channels
        guard c.channels == F else {
            throw DataError.malformed(path: c.path, line: c.line, expected: "\(F) channel\(F == 1 ? "" : "s") (as in training)", found: "\(c.channels)")
        }
        let T = c.length, masked = missing == .mask, S = F * (masked ? 2 : 1)
        var steps = [Float](repeating: 0, count: T * S)
        for f in 0..<F {
            var last: Float? = nil
            let first = (0..<T).lazy.map { c[$0, f] }.first { !$0.isNaN }
            for t in 0..<T {
                var v = c[t, f]
                if v.isNaN {
                    switch missing {
                    case .refuse:
                        throw DataError.malformed(path: c.path, line: c.line, expected: "a value at step \(t + 1) of channel \(f + 1) (use --missing carry or mask to accept missing values)",
                                                  found: "a missing value")
                    case .carry: v = last ?? first ?? mean[f]
                    case .mask: v = mean[f]
                    }
                } else {
                    last = v
                    if masked { steps[t * S + F + f] = 1 }
                }
                steps[t * S + f] = (v - mean[f]) / std[f]
            }
        }
        guard patch > 1 else { return EncodedSeries(values: steps, length: T) }
        let P = T / patch + (T % patch == 0 ? 0 : 1)
        var grouped = [Float](repeating: 0, count: P * patch * S)
        grouped.replaceSubrange(0..<(T * S), with: steps)
        return EncodedSeries(values: grouped, length: P)
    }
}

/// Pads encoded sequences into a time-major batch `[T, B, I]` with their lengths.
public func padTimeMajor(_ batch: [EncodedSeries], inputSize I: Int) -> (x: Tensor, lengths: [Int]) {
    let T = batch.map(\.length).max() ?? 0, B = batch.count
    var x = Tensor.zeros([T, B, I])
    x.withUnsafeMutableBufferPointer { px in
        for (b, s) in batch.enumerated() {
            s.values.withUnsafeBufferPointer { ps in
                for t in 0..<s.length { (px.baseAddress! + (t * B + b) * I).update(from: ps.baseAddress! + t * I, count: I) }
            }
        }
    }
    return (x, batch.map(\.length))
}
