/// What backpropagation through time returns, from a ``RecurrentLayer`` and
/// from one ``RecurrentPass`` alike: the gradient for the input and for the
/// initial state. (Parameter gradients are added into each parameter's `grad`.)
public struct RecurrentGradients: Sendable {
    /// The gradient for `x`, `[T, B, I]`.
    public var gradInput: Tensor
    /// The gradient for the initial state: `h` (and `c` for LSTM) each
    /// `[L*D, B, H]` from a ``RecurrentLayer``, `[B, H]` from a ``RecurrentPass``.
    public var gradInitial: RecurrentState

    /// The gradients for the input, `[T, B, I]`, and for the initial state.
    public init(gradInput: Tensor, gradInitial: RecurrentState) {
        self.gradInput = gradInput
        self.gradInitial = gradInitial
    }
}
