/// The gains and biases of one layer-normalised LSTM pass (Ba, Kiros & Hinton
/// 2016, arXiv:1607.06450, the paper's LN-LSTM equations):
///
///     (i, f, g, o) = LN(W_ih x_t; ih) + LN(W_hh h_{t-1}; hh) + b_ih + b_hh
///     c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
///     h_t = σ(o) ⊙ tanh(LN(c_t; c))
///
/// `LN(v; k) = weight_k ⊙ (v - mean(v)) / sqrt(var(v) + 1e-5) + bias_k`, with
/// the mean and variance over the whole `4H` vector for `ih` and `hh` (as the
/// paper normalises a layer's summed inputs; not per gate) and over `H` for `c`.
/// Gains start at 1 and biases at 0. PyTorch has no LN-LSTM, so these names
/// follow its `weight_ih_l{k}` pattern: `weight_ln_ih_l{k}` / `bias_ln_ih_l{k}`
/// `[4H]`, `weight_ln_hh_l{k}` / `bias_ln_hh_l{k}` `[4H]`, `weight_ln_c_l{k}` /
/// `bias_ln_c_l{k}` `[H]` (plus `_reverse` for the reverse direction).
public struct LSTMLayerNorm {
    /// `[4H]`: the normalisation of `W_ih x_t`.
    public let gainIH: Parameter, biasIH: Parameter
    /// `[4H]`: the normalisation of `W_hh h_{t-1}`.
    public let gainHH: Parameter, biasHH: Parameter
    /// `[H]`: the normalisation of `c_t` before the output `tanh`.
    public let gainC: Parameter, biasC: Parameter

    /// Gains of one, biases of zero, for hidden size `H`.
    init(hiddenSize H: Int) {
        gainIH = Parameter(Tensor(shape: [4 * H], repeating: 1))
        biasIH = Parameter(.zeros([4 * H]))
        gainHH = Parameter(Tensor(shape: [4 * H], repeating: 1))
        biasHH = Parameter(.zeros([4 * H]))
        gainC = Parameter(Tensor(shape: [H], repeating: 1))
        biasC = Parameter(.zeros([H]))
    }

    /// The parameters under their checkpoint names, for a pass with `suffix` (`_l{k}[_reverse]`).
    func namedParameters(suffix: String) -> [(name: String, parameter: Parameter)] {
        [("weight_ln_ih" + suffix, gainIH), ("bias_ln_ih" + suffix, biasIH), ("weight_ln_hh" + suffix, gainHH),
         ("bias_ln_hh" + suffix, biasHH), ("weight_ln_c" + suffix, gainC), ("bias_ln_c" + suffix, biasC)]
    }

    /// The six parameters in one order, the one of ``offsets(hiddenSize:)``.
    var all: [Parameter] { [gainIH, biasIH, gainHH, biasHH, gainC, biasC] }

    /// Where each of ``all`` starts when the six are laid end to end (`18H` floats).
    static func offsets(hiddenSize H: Int) -> [Int] { [0, 4 * H, 8 * H, 12 * H, 16 * H, 17 * H] }

    /// `body` given every value laid end to end (see ``offsets(hiddenSize:)``).
    func withValues<R>(hiddenSize H: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        Scratch.withBuffer(count: 18 * H) { buffer in
            for (p, at) in zip(all, Self.offsets(hiddenSize: H)) { p.value.copy(to: buffer + at) }
            return body(buffer)
        }
    }

    /// `body` given zeroed gradient slots laid end to end; what it adds there is
    /// then added into each parameter's `grad`.
    func accumulatingGradients<R>(hiddenSize H: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        Scratch.withBuffer(count: 18 * H) { buffer in
            buffer.update(repeating: 0, count: 18 * H)
            let result = body(buffer)
            for (p, at) in zip(all, Self.offsets(hiddenSize: H)) {
                p.grad.withUnsafeMutableBufferPointer { g in for j in 0..<g.count { g[j] += buffer[at + j] } }
            }
            return result
        }
    }

    /// Parameters per pass: `2 * 4H + 2 * 4H + 2 * H`.
    static func parameterCount(hiddenSize H: Int) -> Int? { ParameterCount.product(18, H) }
}
