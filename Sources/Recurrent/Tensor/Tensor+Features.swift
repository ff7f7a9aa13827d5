// Small whole-tensor helpers along the last (feature) axis, for models that
// concatenate inputs (an attention context beside a decoder state).

/// `[..., A]` and `[..., C]` -> `[..., A + C]`.
func concatLast(_ a: Tensor, _ b: Tensor) -> Tensor {
    let A = a.shape.last!, C = b.shape.last!, rows = a.count / A
    precondition(b.count / C == rows, "concatLast: \(a.shape) and \(b.shape) differ in rows")
    var out = Tensor(uninitializedShape: Array(a.shape.dropLast()) + [A + C])
    out.withUnsafeMutableBufferPointer { po in a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
        for r in 0..<rows {
            (po.baseAddress! + r * (A + C)).update(from: pa.baseAddress! + r * A, count: A)
            (po.baseAddress! + r * (A + C) + A).update(from: pb.baseAddress! + r * C, count: C)
        }
    }}}
    return out
}

/// `[..., A + C]` -> (`[..., A]`, `[..., C]`).
func splitLast(_ x: Tensor, _ A: Int) -> (Tensor, Tensor) {
    let W = x.shape.last!, C = W - A, rows = x.count / W, lead = Array(x.shape.dropLast())
    var a = Tensor(uninitializedShape: lead + [A]), b = Tensor(uninitializedShape: lead + [C])
    x.withUnsafeBufferPointer { px in a.withUnsafeMutableBufferPointer { pa in b.withUnsafeMutableBufferPointer { pb in
        for r in 0..<rows {
            (pa.baseAddress! + r * A).update(from: px.baseAddress! + r * W, count: A)
            (pb.baseAddress! + r * C).update(from: px.baseAddress! + r * W + A, count: C)
        }
    }}}
    return (a, b)
}

/// `count(shape)` elements of `x` from `offset`, as a tensor of `shape`.
func rows(_ x: Tensor, _ offset: Int, _ shape: [Int]) -> Tensor {
    Tensor(shape: shape, scalars: Array(x.scalars[offset..<(offset + shape.reduce(1, *))]))
}

/// `x += y` elementwise.
func addInPlace(_ x: inout Tensor, _ y: Tensor) {
    precondition(x.count == y.count, "addInPlace: \(x.shape) and \(y.shape)")
    x.withUnsafeMutableBufferPointer { px in y.withUnsafeBufferPointer { py in
        for i in 0..<px.count { px[i] += py[i] }
    }}
}
