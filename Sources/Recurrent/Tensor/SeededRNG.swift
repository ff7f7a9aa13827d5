import Foundation

/// A small, fast, seedable random number generator (xoshiro256**, seeded by
/// splitmix64), so every run with the same seed draws the same numbers on
/// every platform.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable {
    /// The four words of generator state; saving and restoring them resumes
    /// the stream exactly.
    public var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// Whether both generators are in the same state (they will draw the same numbers).
    public static func == (a: SeededRNG, b: SeededRNG) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A float uniformly distributed in `[0, 1)` (24 random bits).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A float uniformly distributed in `range`.
    public mutating func nextFloat(in range: Range<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnitFloat()
    }

    /// A standard normal sample (Box-Muller).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * 0x1.0p-53
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// An integer uniformly distributed in `0..<n`.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound, got \(n)")
        return Int(next(upperBound: UInt64(n)))
    }
}

