extension LanguageModel {
    /// How far the gradient of one prediction travels back through the stack:
    /// the model reads `ids[0..<T]` (from a zero state, no dropout) and the loss
    /// is the cross-entropy of predicting `target` at the last step only.
    ///
    /// - Parameter ids: `T` token ids, `T >= 1`.
    /// - Returns: for each layer, `|dL/dh_t|` at distance `k = T - 1 - t`
    ///   from the loss (`k = 0` first), and the loss. Parameter gradients are
    ///   added into the parameters (zero them before training with them).
    public func stateGradientNorms(ids: [Int], target: Int) -> (norms: [[Double]], loss: Double) {
        precondition(!ids.isEmpty, "stateGradientNorms needs at least one input token")
        let T = ids.count, H = config.hiddenSize
        let e = embedding.forward(ids: ids, shape: [T, 1])
        let r = rnn.forward(e.output)
        let last = RecurrentLayer.slice(r.output.reshaped([T, 1, H]), T - 1)
        let out = readout(last, targets: [target], computingGradient: true)
        var dOutput = Tensor.zeros([T, 1, H])
        dOutput.scalars.replaceSubrange(((T - 1) * H)..<(T * H), with: out.gradFeatures!.scalars)
        let b = rnn.backwardMeasuringStateGradients(r.trace, gradOutput: dOutput)
        return (b.stateGradientNorms.map { $0.reversed() }, out.loss)
    }
}
