#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RecurrentLayer {
    /// Chrono initialisation (Tallec & Ollivier, "Can recurrent neural networks
    /// warp time?", ICLR 2018) for dependencies up to `maxDelay` steps apart.
    ///
    /// With PyTorch's default initialisation the LSTM forget gate starts near
    /// 0.5, so memory (and the gradient) decays like 0.5^t: over 50 steps the
    /// gradient reaching the first input is about 1e-12 of the last's. Chrono
    /// initialisation gives each unit its own time scale: for LSTM,
    /// `b_f = log(u)` and `b_i = -b_f` with `u ~ U(1, maxDelay - 1)`; for GRU
    /// (where `z` keeps the old state), `b_z = log(u)`. Both biases are put in
    /// `bias_ih` and the matching `bias_hh` entries are zeroed. Other
    /// parameters are untouched.
    public func chronoInitialize(maxDelay: Int, rng: inout SeededRNG) {
        precondition(cell == .lstm || cell == .gru, "chrono initialisation needs gates; \(cell) has none")
        precondition(maxDelay >= 3, "chrono initialisation needs maxDelay >= 3, got \(maxDelay)")
        let H = hiddenSize
        for pass in passes.joined() {
            for j in 0..<H {
                let keep = Float(log(Double(rng.nextFloat(in: 1..<Float(maxDelay - 1)))))
                if cell == .lstm {
                    pass.biasIH.value.scalars[H + j] = keep          // forget gate f
                    pass.biasHH.value.scalars[H + j] = 0
                    pass.biasIH.value.scalars[j] = -keep             // input gate i
                    pass.biasHH.value.scalars[j] = 0
                } else {
                    pass.biasIH.value.scalars[H + j] = keep          // update gate z
                    pass.biasHH.value.scalars[H + j] = 0
                }
            }
        }
    }
}
