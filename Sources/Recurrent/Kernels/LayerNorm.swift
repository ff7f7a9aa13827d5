import Foundation

/// Layer normalisation over the `n` features of each row (Ba, Kiros & Hinton
/// 2016), on raw buffers:
///
///     μ = mean(x),  σ² = mean((x - μ)²),  rstd = 1 / sqrt(σ² + ε)
///     x̂ = (x - μ) · rstd,   y = gain ⊙ x̂ + bias
///
/// Backward, with `dy` the gradient for `y`:
///
///     dgain += dy ⊙ x̂,   dbias += dy,   g = gain ⊙ dy
///     dx = rstd · (g - mean(g) - x̂ · mean(g ⊙ x̂))
///
/// Means and variances are summed in `Double`. `ε` is PyTorch's `1e-5`.
enum LayerNorm {
    static let epsilon = 1e-5

    /// `y = gain ⊙ x̂ + bias` for each of the `rows` rows of `x` (`[rows, n]`),
    /// keeping `x̂` (`[rows, n]`) and `rstd` (`[rows]`) for backward where
    /// given. `y` may be `x`.
    static func forward(rows: Int, n: Int, _ x: UnsafePointer<Float>, gain: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        into y: UnsafeMutablePointer<Float>, xHat: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?) {
        for r in 0..<rows {
            let xr = x + r * n, yr = y + r * n, hr = xHat.map { $0 + r * n }
            var sum = 0.0
            for j in 0..<n { sum += Double(xr[j]) }
            let mean = sum / Double(n)
            var squares = 0.0
            for j in 0..<n { let d = Double(xr[j]) - mean; squares += d * d }
            let s = 1 / (squares / Double(n) + epsilon).squareRoot()
            rstd?[r] = Float(s)
            for j in 0..<n {
                let h = Float((Double(xr[j]) - mean) * s)
                hr?[j] = h
                yr[j] = gain[j] * h + bias[j]
            }
        }
    }

    /// The gradient for `x` (`[rows, n]`) into `dx` (which may be `dy`), and
    /// `dgain`, `dbias` (`[n]`) added into, from `dy` and forward's `x̂`, `rstd`.
    static func backward(rows: Int, n: Int, _ dy: UnsafePointer<Float>, gain: UnsafePointer<Float>, xHat: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
                         dGain: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let dyr = dy + r * n, hr = xHat + r * n, dxr = dx + r * n
            var sumG = 0.0, sumGH = 0.0
            for j in 0..<n {
                let g = Double(gain[j] * dyr[j])
                sumG += g
                sumGH += g * Double(hr[j])
                dGain[j] += dyr[j] * hr[j]
                dBias[j] += dyr[j]
            }
            let meanG = sumG / Double(n), meanGH = sumGH / Double(n), s = Double(rstd[r])
            for j in 0..<n {
                dxr[j] = Float(s * (Double(gain[j] * dyr[j]) - meanG - Double(hr[j]) * meanGH))
            }
        }
    }
}
