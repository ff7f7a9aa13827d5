import Foundation

/// A dense, row-major array of `Float` with a shape: the one data type every
/// layer, kernel and checkpoint in Recurrent works with.
///
/// `Tensor` has value semantics (its storage is a copy-on-write Swift array),
/// so passing one around never aliases. Hot code reaches the storage through
/// ``withUnsafeBufferPointer(_:)`` and ``withUnsafeMutableBufferPointer(_:)``.
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `count == shape.product`.
    public var scalars: [Float]

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor whose storage is allocated but not filled, for buffers the
    /// caller overwrites completely before reading (a training step's per-step
    /// traces and gradients, where zero-filling megabytes per step shows in
    /// the profile). Reading an element before writing it gives an arbitrary value.
    init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

    /// A tensor with elements drawn uniformly from `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float, high: Float, rng: inout SeededRNG) -> Tensor {
        var t = Tensor(shape: shape)
        for i in t.scalars.indices { t.scalars[i] = rng.nextFloat(in: low..<high) }
        return t
    }

    /// A tensor with elements drawn from a normal distribution.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout SeededRNG) -> Tensor {
        var t = Tensor(shape: shape)
        for i in t.scalars.indices { t.scalars[i] = mean + std * rng.nextNormal() }
        return t
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements viewed with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Reads the element at a full multi-dimensional index (slow; for tests and tools).
    public subscript(_ index: Int...) -> Float {
        get { scalars[offset(index)] }
        set { scalars[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not fit shape \(shape)")
        var o = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            o = o * n + i
        }
        return o
    }

    /// Calls `body` with a pointer to the elements.
    @inlinable
    package func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the elements.
    @inlinable
    package mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
    }

    /// The column of the largest element in row `row` of a rank-2 tensor (the first one on ties).
    public func argmax(row: Int) -> Int {
        precondition(rank == 2 && row >= 0 && row < shape[0], "argmax(row: \(row)) needs a row of a rank-2 tensor, got \(shape)")
        let K = shape[1]
        return withUnsafeBufferPointer { p in
            var best = 0
            for k in 1..<K where p[row * K + k] > p[row * K + best] { best = k }
            return best
        }
    }

    /// The largest absolute difference to `other` (shapes must match).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
        var m: Float = 0
        for (a, b) in zip(scalars, other.scalars) { m = max(m, abs(a - b)) }
        return m
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and the first few values, for printing.
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", ..." : "")]"
    }
}
