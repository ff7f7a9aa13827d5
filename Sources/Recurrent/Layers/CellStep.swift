/// One time step of a cell over a batch, as the trace holds it: the buffers
/// the forward step writes and the backward step reads again, for a batch of
/// `B` rows and hidden size `H` (``PassTraceStorage/step(_:units:)`` hands
/// them out). A step computes the hidden units `j0..<j0+w` of every row (all
/// of them, or one thread's share when the pass splits its units over
/// threads); every buffer has the full layout (`[B, H]` or `[B, G*H]`).
/// Rows `b` with `t >= lengths[b]` are padding: forward passes the state
/// through unchanged and writes a zero output row; backward passes the
/// gradient through and writes zero projection gradients.
struct CellStep {
    var B: Int
    var H: Int
    /// Time index of this step, compared with `lengths`.
    var t: Int
    /// Per-row sequence lengths, or nil when every row is active.
    var lengths: UnsafePointer<Int>?
    /// The first unit this step computes, and how many.
    var j0: Int
    var w: Int
    /// `[B, G*H]`: forward reads the input projection `W_ih x_t` (plus
    /// ``Forward/bias`` unless that is nil) and leaves the gate activations
    /// (the Elman cell's one block: `h'`), which backward reads.
    var gates: UnsafeMutablePointer<Float>
    /// `[B, H]`: the state before the step.
    var hPrev: UnsafePointer<Float>
    /// `[B, H]`: the LSTM memory cell before and after the step (nil for other cells).
    var cPrev: UnsafePointer<Float>?
    var cNext: UnsafeMutablePointer<Float>?
    /// `[B, H]`: the GRU's `W_hn h_{t-1} + b_hn`, written by forward for backward (nil for other cells).
    var hn: UnsafeMutablePointer<Float>?

    @inline(__always) func isActive(_ b: Int) -> Bool { lengths.map { t < $0[b] } ?? true }

    /// What a forward step reads and writes besides the trace.
    struct Forward {
        /// `[G*H]`: `b_ih` plus `b_hh` where it adds straight into the
        /// pre-activation (every gate but the GRU's `n`), added by the cell;
        /// nil when ``CellStep/gates`` already includes the biases.
        var bias: UnsafePointer<Float>?
        /// `[B, G*w]`: `W_hh h_{t-1}` for this step's units only, gate `γ` of
        /// unit `j0 + j` at column `γ*w + j`.
        var hp: UnsafePointer<Float>
        /// `[H]`: the GRU's `b_hn`, which sits inside the reset gate's product.
        var biasHN: UnsafePointer<Float>?
        /// `[B, H]`: the state after the step.
        var hNext: UnsafeMutablePointer<Float>
        /// `[B, H]`: the step's output (`h'` for active rows, zero for padding).
        var y: UnsafeMutablePointer<Float>
    }

    /// The gradients a backward step reads and writes.
    struct Gradients {
        /// `[B, H]`: the gradient flowing into this step's output.
        var dy: UnsafePointer<Float>
        /// `[B, H]`: in, the gradient of the loss with respect to `h_t` from
        /// later steps; out, the part of the gradient for `h_{t-1}` that does
        /// not pass through `W_hh` (the pass adds `dHp W_hh` afterwards).
        var dh: UnsafeMutablePointer<Float>
        /// `[B, H]`: in, the gradient for `c_t`; out, the gradient for `c_{t-1}` (LSTM).
        var dc: UnsafeMutablePointer<Float>?
        /// `[B, G*H]`: out, the gradient for the input projection.
        var dXp: UnsafeMutablePointer<Float>
        /// `[B, G*H]`: out, the gradient for the hidden projection (the same
        /// buffer as `dXp` for cells where the two are equal).
        var dHp: UnsafeMutablePointer<Float>
    }
}
