import Foundation

/// The per-row pointwise work of the layer-normalised LSTM's memory cell
/// (Ba, Kiros & Hinton 2016): with the gate activations `i, f, g, o` (each
/// `H` wide, one row of `[4H]`) and `c' = f ⊙ c + i ⊙ g` already computed,
///
///     ĉ = LN(c'),   a = gain ⊙ ĉ + bias,   h' = o ⊙ tanh(a)
///
/// Backward, with `dh` the total gradient for `h'` and `dc` for `c'` from later steps:
///
///     do = dh ⊙ tanh(a),   da = dh ⊙ o ⊙ (1 - tanh²(a))
///     dgain += da ⊙ ĉ,   dbias += da,   dc += LN backward of gain ⊙ da
///     di = dc ⊙ g,  df = dc ⊙ c,  dg = dc ⊙ i  (then σ' and tanh' as the plain LSTM);  dc_{t-1} = dc ⊙ f
enum LayerNormLSTMKernel {
    /// `h' = o ⊙ tanh(gain ⊙ LN(c') + bias)` for one row, into `h` and `y`,
    /// keeping `ĉ` (`[H]`) and its `rstd` for backward where given. `gates` is the row's `[4H]` activations.
    static func output(H: Int, gates: UnsafePointer<Float>, c: UnsafePointer<Float>, gain: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, cHat: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
                       h: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        LayerNorm.forward(rows: 1, n: H, c, gain: gain, bias: bias, into: h, xHat: cHat, rstd: rstd)
        let o = gates + 3 * H
        for j in 0..<H {
            h[j] = o[j] * Foundation.tanh(h[j])
            y[j] = h[j]
        }
    }

    /// One active row backward: reads `dh + dy` and `dc`, writes the gates'
    /// pre-activation gradients into `da` (`[4H]`), leaves `dc_{t-1}` in `dc`
    /// and zero in `dh` (the pass adds what `W_hh` carries), and adds the
    /// memory normalisation's `dgain`, `dbias`.
    static func backward(H: Int, gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, cHat: UnsafePointer<Float>, rstd: Float,
                         gain: UnsafePointer<Float>, bias: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>, da: UnsafeMutablePointer<Float>,
                         dGain: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>) {
        var sumG = 0.0, sumGH = 0.0
        for j in 0..<H {
            let o = gates[3 * H + j], dhj = dh[j] + dy[j]
            let t = Foundation.tanh(gain[j] * cHat[j] + bias[j])
            da[3 * H + j] = dhj * t * o * (1 - o)
            let dA = dhj * o * (1 - t * t)
            dGain[j] += dA * cHat[j]
            dBias[j] += dA
            let g = gain[j] * dA
            da[j] = g                                           // held here until the second loop
            sumG += Double(g)
            sumGH += Double(g) * Double(cHat[j])
        }
        let meanG = sumG / Double(H), meanGH = sumGH / Double(H), s = Double(rstd)
        for j in 0..<H {
            let i = gates[j], f = gates[H + j], g = gates[2 * H + j]
            let dct = dc[j] + Float(s * (Double(da[j]) - meanG - Double(cHat[j]) * meanGH))
            da[j] = dct * g * i * (1 - i)
            da[H + j] = dct * cPrev[j] * f * (1 - f)
            da[2 * H + j] = dct * i * (1 - g * g)
            dc[j] = dct * f
            dh[j] = 0
        }
    }
}
