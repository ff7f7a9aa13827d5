import CKernels

/// Element-wise kernels over raw buffers. `x` and `y` may be the same buffer.
enum Pointwise {
    /// `y[i] = exp(x[i])` for `i` in `0..<n`.
    @inline(__always) static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_vexp(CPU.isa, x, y, n)
    }

    /// `y[i] = 1 / (1 + exp(-x[i]))` for `i` in `0..<n`.
    @inline(__always) static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_vsigmoid(CPU.isa, x, y, n)
    }

    /// `y[i] = tanh(x[i])` for `i` in `0..<n`.
    @inline(__always) static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_vtanh(CPU.isa, x, y, n)
    }

    /// `y[i] = max(x[i], 0)` for `i` in `0..<n`.
    @inline(__always) static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = max(x[i], 0) }
    }

    /// Adds `bias` (length `n`) to each of the `rows` rows of `y` (`[rows, n]`).
    @inline(__always) static func addRowVector(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let row = y + r * n
            for j in 0..<n { row[j] += bias[j] }
        }
    }

    /// Adds the sum over rows of `x` (`[rows, n]`) into `sum` (length `n`).
    @inline(__always) static func accumulateColumnSums(_ x: UnsafePointer<Float>, rows: Int, n: Int, into sum: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * n
            for j in 0..<n { sum[j] += row[j] }
        }
    }

    /// `y[i] = x[i] * m[i]` for `i` in `0..<n` (a dropout mask applied).
    @inline(__always) static func multiply(_ x: UnsafePointer<Float>, _ m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] = x[i] * m[i] }
    }

    /// `y[r, j] += m[r, j] * x[r, j]` for `rows` rows of `n` columns, each
    /// matrix row-major with its own row stride (`ldx`, `ldm`, `ldy`).
    @inline(__always) static func addProduct(rows: Int, n: Int, _ x: UnsafePointer<Float>, ldx: Int, _ m: UnsafePointer<Float>, ldm: Int,
                                             into y: UnsafeMutablePointer<Float>, ldy: Int) {
        for r in 0..<rows {
            let xr = x + r * ldx, mr = m + r * ldm, yr = y + r * ldy
            for j in 0..<n { yr[j] += mr[j] * xr[j] }
        }
    }
}
