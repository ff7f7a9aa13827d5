/// What one pass (layer `l`, direction `d`) computed at every step of a
/// forward run: the numbers behind the "seeing inside" pictures, read from the
/// trace that backward uses, so they are exactly the values the forward pass used.
///
/// Shapes (`T` steps, `B` sequences, `H` units, `G` gates):
/// - `gates`: `[T, B, G*H]`, gate activations in PyTorch's order, gate `γ` of
///   unit `j` at column `γ*H + j` (LSTM i, f, g, o; GRU r, z, n; the RNN has
///   no gates and its one block holds `h_t`). Padded steps hold unspecified values.
/// - `cells`: `[T, B, H]`, the LSTM memory `c_t` after each step; nil for RNN and GRU.
/// - `outputs`: `[T, B, H]`, `h_t` after each step (zero at padded steps).
public struct PassActivations: Sendable {
    /// The layer `l`, from 0.
    public let layer: Int
    /// 0 forward, 1 reverse.
    public let direction: Int
    /// The cell, which says how to read ``gates``.
    public let cell: CellKind
    /// `[T, B, G*H]`: gate activations (see the type's description).
    public let gates: Tensor
    /// `[T, B, H]`: the LSTM memory `c_t`; nil for RNN and GRU.
    public let cells: Tensor?
    /// `[T, B, H]`: `h_t`, zero at padded steps.
    public let outputs: Tensor

    /// The names of the gate blocks of `cell`, in column order.
    public static func gateNames(_ cell: CellKind) -> [String] {
        switch cell {
        case .lstm: return ["i", "f", "g", "o"]
        case .gru: return ["r", "z", "n"]
        case .rnnTanh, .rnnRelu: return []
        }
    }

    /// Gate `gate` of unit `unit` for sequence `b` at every step: `T` values.
    public func gate(_ gate: Int, unit: Int, sequence b: Int = 0) -> [Float] {
        let T = gates.shape[0], B = gates.shape[1], GH = gates.shape[2], H = outputs.shape[2]
        return (0..<T).map { t in gates.scalars[(t * B + b) * GH + gate * H + unit] }
    }

    /// `c_t` (LSTM) of unit `unit` for sequence `b`: `T` values, or nil without a memory cell.
    public func cell(unit: Int, sequence b: Int = 0) -> [Float]? {
        cells.map { Self.column($0, unit: unit, sequence: b) }
    }

    /// `h_t` of unit `unit` for sequence `b`: `T` values.
    public func output(unit: Int, sequence b: Int = 0) -> [Float] { Self.column(outputs, unit: unit, sequence: b) }

    static func column(_ t: Tensor, unit: Int, sequence b: Int) -> [Float] {
        let T = t.shape[0], B = t.shape[1], H = t.shape[2]
        return (0..<T).map { s in t.scalars[(s * B + b) * H + unit] }
    }
}

extension RecurrentLayer {
    /// Every pass's per-step gates, cells and outputs from a forward run's
    /// `trace`, layer by layer (forward direction before reverse): exactly the
    /// numbers the forward pass computed, not a recomputation.
    public func activations(_ trace: Trace) -> [PassActivations] {
        trace.passTraces.enumerated().flatMap { l, directions in
            directions.enumerated().map { d, p in
                let s = p.storage, shape = [s.T, s.B, s.H]
                return PassActivations(layer: l, direction: d, cell: cell, gates: Tensor(shape: [s.T, s.B, s.G * s.H], copying: s.gates),
                                       cells: s.cNext.map { Tensor(shape: shape, copying: $0) }, outputs: p.y)
            }
        }
    }
}

extension RecurrentLayer {
    /// Backpropagation through time that also measures how the gradient
    /// travels back: for every pass `k = l*D + d` and time index `t`,
    /// `stateGradientNorms[k][t]` is `|dL/dh_t|`, the L2 norm over the batch's
    /// `[B, H]` slice of the total gradient for that pass's state `h_t` (what
    /// the loss sends to the step's output plus what flows back from later
    /// steps; for an LSTM, with `c_t` held fixed). Parameter gradients are
    /// added exactly as ``backward(_:gradOutput:gradFinal:gradientsReady:)`` adds them.
    ///
    /// - Parameters: as ``backward(_:gradOutput:gradFinal:gradientsReady:)``: `gradOutput` is `[T, B, D*H]`.
    /// - Returns: the ``RecurrentGradients`` that ``backward(_:gradOutput:gradFinal:gradientsReady:)``
    ///   returns, and the norms (`L*D` arrays of `T`).
    public func backwardMeasuringStateGradients(_ trace: Trace, gradOutput: Tensor, gradFinal: RecurrentState? = nil)
        -> (gradients: RecurrentGradients, stateGradientNorms: [[Double]])
    {
        backward(trace, gradOutput: gradOutput, gradFinal: gradFinal, recordingStateGradients: true)
    }
}
