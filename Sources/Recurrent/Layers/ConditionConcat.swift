/// Appends one vector per sequence to every step of a time-major batch: the
/// "fed at every step" path of a conditional decoder.
///
/// Shapes: `x` is `[T, B, E]`, `z` is `[B, Z]`, `y` is `[T, B, E + Z]` with
/// `y[t, b] = [x[t, b], z[b]]`. Backward splits `dy` back and sums the `z`
/// part over the steps: `dz[b] = sum_t dy[t, b, E...]`.
public enum ConditionConcat {
    /// `y = [x, z]` at every step: `x` `[T, B, E]` and `z` `[B, Z]` give `[T, B, E + Z]`.
    public static func forward(_ x: Tensor, _ z: Tensor) -> Tensor {
        precondition(x.rank == 3 && z.rank == 2 && z.shape[0] == x.shape[1],
                     "ConditionConcat expects x of [T, B, E] and z of [B, Z], got \(x.shape) and \(z.shape)")
        let T = x.shape[0], B = x.shape[1], E = x.shape[2], Z = z.shape[1], W = E + Z
        var y = Tensor.zeros([T, B, W])
        y.withUnsafeMutableBufferPointer { py in
            x.withUnsafeBufferPointer { px in
                z.withUnsafeBufferPointer { pz in
                    for t in 0..<T { for b in 0..<B {
                        let row = py.baseAddress! + (t * B + b) * W
                        row.update(from: px.baseAddress! + (t * B + b) * E, count: E)
                        (row + E).update(from: pz.baseAddress! + b * Z, count: Z)
                    } }
                }
            }
        }
        return y
    }

    /// `dy` is `[T, B, E + Z]`; returns `dx` (`[T, B, E]`) and `dz` (`[B, Z]`).
    public static func backward(_ dy: Tensor, conditionSize Z: Int) -> (dx: Tensor, dz: Tensor) {
        let T = dy.shape[0], B = dy.shape[1], W = dy.shape[2], E = W - Z
        var dx = Tensor.zeros([T, B, E]), dz = Tensor.zeros([B, Z])
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                for r in 0..<(T * B) { (pdx.baseAddress! + r * E).update(from: pdy.baseAddress! + r * W, count: E) }
            }
            dz.withUnsafeMutableBufferPointer { pdz in
                for t in 0..<T { for b in 0..<B {
                    Pointwise.accumulateColumnSums(pdy.baseAddress! + (t * B + b) * W + E, rows: 1, n: Z, into: pdz.baseAddress! + b * Z)
                } }
            }
        }
        return (dx, dz)
    }
}
