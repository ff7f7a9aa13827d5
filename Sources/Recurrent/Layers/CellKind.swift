/// The recurrent cells Recurrent implements, with PyTorch's gate layouts.
public enum CellKind: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Elman RNN, `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (PyTorch `nn.RNN`, the default).
    case rnnTanh = "rnn_tanh"
    /// Elman RNN with ReLU, `h' = relu(...)` (PyTorch `nn.RNN(nonlinearity="relu")`).
    case rnnRelu = "rnn_relu"
    /// Long short-term memory, gates i, f, g, o (PyTorch `nn.LSTM`).
    case lstm
    /// Gated recurrent unit, gates r, z, n (PyTorch `nn.GRU`).
    case gru

    /// `G`, the number of gate blocks stacked in `weight_ih` and `weight_hh` (`[G*H, ...]`).
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a memory cell `c` beside `h`.
    public var hasCellState: Bool { self == .lstm }

    /// The name shown to people: `RNN(tanh)`, `RNN(relu)`, `LSTM`, `GRU`.
    public var description: String {
        switch self {
        case .rnnTanh: return "RNN(tanh)"
        case .rnnRelu: return "RNN(relu)"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        }
    }
}

extension CellKind {
    /// Runs this cell's fused forward step (see ``CellStep``).
    func forward(_ step: CellStep, _ buffers: CellStep.Forward) {
        switch self {
        case .rnnTanh: RNNCell.forward(step, buffers, relu: false)
        case .rnnRelu: RNNCell.forward(step, buffers, relu: true)
        case .lstm: LSTMCell.forward(step, buffers)
        case .gru: GRUCell.forward(step, buffers)
        }
    }

    /// Runs this cell's fused backward step (see ``CellStep``).
    func backward(_ step: CellStep, _ gradients: CellStep.Gradients) {
        switch self {
        case .rnnTanh: RNNCell.backward(step, gradients, relu: false)
        case .rnnRelu: RNNCell.backward(step, gradients, relu: true)
        case .lstm: LSTMCell.backward(step, gradients)
        case .gru: GRUCell.backward(step, gradients)
        }
    }
}
