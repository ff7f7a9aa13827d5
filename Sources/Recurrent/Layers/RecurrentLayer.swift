/// The hidden state of a recurrent stack, laid out as PyTorch lays it out:
/// `h` (and `c` for LSTM) is `[L*D, B, H]`, entry `l*D + d` for layer `l`,
/// direction `d` (0 forward, 1 reverse).
public struct RecurrentState: Equatable, Sendable {
    /// `[L*D, B, H]`: the hidden state of every layer and direction.
    public var h: Tensor
    /// The LSTM memory cell; nil for RNN and GRU.
    public var c: Tensor?

    /// A state of `h` (and `c` for LSTM), each `[L*D, B, H]`.
    public init(h: Tensor, c: Tensor? = nil) {
        self.h = h
        self.c = c
    }
}

/// A stacked, optionally bidirectional recurrent network over a padded,
/// time-major batch: the equivalent of PyTorch's `nn.RNN`, `nn.LSTM` and
/// `nn.GRU`, with the same parameter names, shapes, gate order and
/// initialisation, so their `state_dict`s load directly.
///
/// Shapes: `x` is `[T, B, I]`; the output is `[T, B, D*H]` with `D = 2` when
/// bidirectional (forward features first); states are `[L*D, B, H]`.
/// With `lengths`, sequence `b` occupies steps `0..<lengths[b]`: padded steps
/// output zeros and leave the state unchanged, and the reverse direction
/// starts at each sequence's own last step (PyTorch's packed sequences).
public final class RecurrentLayer: Layer {
    /// The cell of every layer.
    public let cell: CellKind
    /// `I`, the size of each input step.
    public let inputSize: Int
    /// `H`, the hidden size of every layer and direction.
    public let hiddenSize: Int
    /// `L`, the number of stacked layers.
    public let layerCount: Int
    /// Whether each layer also runs in reverse (`D = 2`).
    public let bidirectional: Bool
    /// Dropout applied to each layer's output except the last's, in training.
    public let dropout: Dropout
    /// Recurrent dropout (Keras' `recurrent_dropout`): in training, each pass
    /// draws one mask of `[B, H]` per batch, the same at every step, and
    /// multiplies `h_{t-1}` by it where it enters `W_hh h_{t-1}` (see ``RecurrentPass``).
    public let recurrentDropout: Dropout
    /// Whether the cells are layer-normalised LSTMs (``LSTMLayerNorm``).
    public let layerNorm: Bool
    /// `passes[l][d]`: layer `l`, direction `d`.
    public let passes: [[RecurrentPass]]

    /// `D`: 2 when bidirectional, else 1.
    public var directionCount: Int { bidirectional ? 2 : 1 }
    /// The size of each output step, `D*H`.
    public var outputSize: Int { directionCount * hiddenSize }

    /// What backward needs from forward.
    public struct Trace {
        let lengths: [Int]?
        let T: Int, B: Int
        /// `passTraces[l][d]`
        let passTraces: [[RecurrentPass.Trace]]
        /// Dropout applied to layer `l`'s output, for `l < L - 1`.
        let dropoutTraces: [Dropout.Trace]
    }

    /// A stack with PyTorch's default initialisation, drawn from `rng` in the
    /// order of ``namedParameters``. With `lockedDropout`, the dropout between
    /// layers draws one mask per sequence, the same at every step;
    /// `recurrentDropout` is the probability of ``recurrentDropout``; `layerNorm`
    /// (LSTM only) makes every pass a layer-normalised LSTM.
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1,
                bidirectional: Bool = false, dropout: Float = 0, lockedDropout: Bool = false, recurrentDropout: Float = 0,
                layerNorm: Bool = false, rng: inout SeededRNG) {
        precondition(layers >= 1, "\(cell) needs at least one layer, got \(layers)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layers
        self.bidirectional = bidirectional
        self.dropout = Dropout(probability: dropout, locked: lockedDropout)
        self.recurrentDropout = Dropout(probability: recurrentDropout)
        self.layerNorm = layerNorm
        var passes: [[RecurrentPass]] = []
        for l in 0..<layers {
            let I = l == 0 ? inputSize : (bidirectional ? 2 : 1) * hiddenSize
            passes.append((0..<(bidirectional ? 2 : 1)).map { d in
                RecurrentPass(cell: cell, inputSize: I, hiddenSize: hiddenSize, layerIndex: l, reverse: d == 1, layerNorm: layerNorm,
                              rng: &rng)
            })
        }
        self.passes = passes
    }

    /// Every pass's parameters, `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `_reverse`, layer by layer: PyTorch's names and order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        passes.flatMap { $0.flatMap(\.namedParameters) }
    }

    /// A zero state for a batch of `B`.
    public func zeroState(batch B: Int) -> RecurrentState {
        let shape = [layerCount * directionCount, B, hiddenSize]
        return RecurrentState(h: .zeros(shape), c: cell.hasCellState ? .zeros(shape) : nil)
    }

    /// Runs the stack in evaluation mode (no dropout).
    public func forward(_ x: Tensor, lengths: [Int]? = nil, initial: RecurrentState? = nil)
        -> (output: Tensor, final: RecurrentState, trace: Trace)
    {
        var unused = SeededRNG(seed: 0)
        return forward(x, lengths: lengths, initial: initial, training: false, rng: &unused)
    }

    /// Runs the stack over `x` (`[T, B, I]`).
    ///
    /// - Parameters:
    ///   - lengths: per-sequence lengths (`B` values in `0...T`), or nil when all are `T`.
    ///   - initial: the state to start from, `[L*D, B, H]`; zeros when nil.
    ///   - training: applies dropout between layers, and recurrent dropout, when true.
    ///   - rng: the source of dropout masks (the recurrent masks are drawn first,
    ///     `[B, H]` per pass in the order of ``passes``).
    /// - Returns: the output `[T, B, D*H]`, the final state `[L*D, B, H]` and the trace for backward.
    public func forward(_ x: Tensor, lengths: [Int]? = nil, initial: RecurrentState? = nil,
                        training: Bool, rng: inout SeededRNG) -> (output: Tensor, final: RecurrentState, trace: Trace)
    {
        var masks: [[Tensor]]? = nil
        if training && recurrentDropout.probability > 0 && x.rank == 3 {
            let ones = Tensor(shape: [x.shape[1], hiddenSize], repeating: 1)
            masks = passes.map { $0.map { _ in recurrentDropout.forward(ones, training: true, rng: &rng).output } }
        }
        return forward(x, lengths: lengths, initial: initial, training: training, rng: &rng, recurrentMasks: masks)
    }

    /// ``forward(_:lengths:initial:training:rng:)`` with the recurrent dropout
    /// masks given (`recurrentMasks[l][d]`, each `[B, H]`), or none.
    func forward(_ x: Tensor, lengths: [Int]?, initial: RecurrentState?, training: Bool, rng: inout SeededRNG,
                 recurrentMasks: [[Tensor]]?) -> (output: Tensor, final: RecurrentState, trace: Trace)
    {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "\(cell)(\(inputSize) => \(hiddenSize)) expects x of [T, B, \(inputSize)], got \(x.shape)")
        let T = x.shape[0], B = x.shape[1], H = hiddenSize, D = directionCount
        if let lengths {
            precondition(lengths.count == B, "\(cell): \(lengths.count) lengths for a batch of \(B)")
            precondition(lengths.allSatisfy { $0 >= 0 && $0 <= T },
                         "\(cell): lengths \(lengths) must lie in 0...\(T) (x is \(x.shape))")
        }
        let stateShape = [layerCount * D, B, H]
        let initial = initial ?? zeroState(batch: B)
        precondition(initial.h.shape == stateShape,
                     "\(cell)(\(inputSize) => \(H)) expects an initial h of \(stateShape), got \(initial.h.shape)")
        if cell.hasCellState {
            precondition(initial.c?.shape == stateShape,
                         "LSTM(\(inputSize) => \(H)) expects an initial c of \(stateShape), got \(initial.c?.shape ?? [])")
        }

        var final = zeroState(batch: B)
        var passTraces: [[RecurrentPass.Trace]] = []
        var dropoutTraces: [Dropout.Trace] = []
        var input = x
        for l in 0..<layerCount {
            let layerInput = input
            let results = Self.eachDirection(D) { d in
                let k = l * D + d
                return passes[l][d].forward(layerInput, lengths: lengths, h0: Self.slice(initial.h, k),
                                            c0: initial.c.map { Self.slice($0, k) }, recurrentMask: recurrentMasks?[l][d])
            }
            var outputs: [Tensor] = []
            var traces: [RecurrentPass.Trace] = []
            for (d, r) in results.enumerated() {
                Self.setSlice(&final.h, l * D + d, r.h)
                if let c = r.c { Self.setSlice(&final.c!, l * D + d, c) }
                outputs.append(r.output)
                traces.append(r.trace)
            }
            passTraces.append(traces)
            input = D == 1 ? outputs[0] : Self.concatFeatures(outputs[0], outputs[1])
            if l < layerCount - 1 {
                let dropped = dropout.forward(input, training: training, rng: &rng)
                input = dropped.output
                dropoutTraces.append(dropped.trace)
            }
        }
        return (input, final, Trace(lengths: lengths, T: T, B: B, passTraces: passTraces, dropoutTraces: dropoutTraces))
    }

    /// Backpropagation through time through the whole stack.
    ///
    /// - Parameters:
    ///   - gradOutput: the gradient for the output, `[T, B, D*H]`.
    ///   - gradFinal: the gradient for the final state, or nil when the loss does not use it.
    /// - Returns: the gradient for `x` (`[T, B, I]`) and for the initial state (`[L*D, B, H]`).
    /// `gradientsReady` is told each layer's parameters (both directions) as
    /// soon as their gradients are final, the top layer first.
    public func backward(_ trace: Trace, gradOutput: Tensor, gradFinal: RecurrentState? = nil,
                         gradientsReady: GradientsReady? = nil) -> RecurrentGradients
    {
        backward(trace, gradOutput: gradOutput, gradFinal: gradFinal, recordingStateGradients: false,
                 gradientsReady: gradientsReady).gradients
    }

    /// The backward pass; with `recordingStateGradients`, also `|dL/dh_t|`
    /// over the batch for every pass (index `l*D + d`) and time index `t`.
    func backward(_ trace: Trace, gradOutput: Tensor, gradFinal: RecurrentState?, recordingStateGradients: Bool,
                  gradientsReady: GradientsReady? = nil)
        -> (gradients: RecurrentGradients, stateGradientNorms: [[Double]])
    {
        let T = trace.T, B = trace.B, H = hiddenSize, D = directionCount
        precondition(gradOutput.shape == [T, B, D * H],
                     "\(cell) backward expects a gradient of [\(T), \(B), \(D * H)], got \(gradOutput.shape)")
        var gradInitial = zeroState(batch: B)
        var norms = [[Double]](repeating: [], count: recordingStateGradients ? layerCount * D : 0)
        var dOut = gradOutput
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            if l < layerCount - 1 { dOut = dropout.backward(trace.dropoutTraces[l], gradOutput: dOut) }
            let parts = D == 1 ? [dOut] : Self.splitFeatures(dOut, H)
            let results = Self.eachDirection(D) { d in
                let k = l * D + d
                var squares = [Double](repeating: 0, count: recordingStateGradients ? 2 * T : 0)
                let r = squares.withUnsafeMutableBufferPointer { sq in
                    passes[l][d].backward(trace.passTraces[l][d], gradOutput: parts[d],
                                          gradH: gradFinal.map { Self.slice($0.h, k) } ?? .zeros([B, H]),
                                          gradC: gradFinal?.c.map { Self.slice($0, k) },
                                          stateGradientSquares: recordingStateGradients ? sq.baseAddress : nil)
                }
                return (r, (0..<(recordingStateGradients ? T : 0)).map { t in (squares[2 * t] + squares[2 * t + 1]).squareRoot() })
            }
            var dInput: Tensor? = nil
            for (d, (r, stepNorms)) in results.enumerated() {
                let k = l * D + d
                if recordingStateGradients { norms[k] = stepNorms }
                Self.setSlice(&gradInitial.h, k, r.gradInitial.h)
                if let dc0 = r.gradInitial.c { Self.setSlice(&gradInitial.c!, k, dc0) }
                if dInput == nil {
                    dInput = r.gradInput
                } else {
                    for i in 0..<r.gradInput.count { dInput!.scalars[i] += r.gradInput.scalars[i] }
                }
            }
            dOut = dInput!
            gradientsReady?(passes[l].flatMap { $0.namedParameters.map(\.parameter) })
        }
        return (RecurrentGradients(gradInput: dOut, gradInitial: gradInitial), norms)
    }

    // MARK: - Helpers for the [L*D, B, H] state layout and feature concatenation

    /// `work(d)` for each direction; the two directions of a bidirectional layer
    /// run at once, one per core (they touch disjoint parameters).
    static func eachDirection<R>(_ D: Int, _ work: (Int) -> R) -> [R] {
        if D == 1 { return [work(0)] }
        let slots = UnsafeMutablePointer<R?>.allocate(capacity: D)
        slots.initialize(repeating: nil, count: D)
        defer { slots.deinitialize(count: D); slots.deallocate() }
        Threads.pair { d in slots[d] = work(d) }
        return (0..<D).map { slots[$0]! }
    }

    static func slice(_ t: Tensor, _ k: Int) -> Tensor {
        let n = t.shape[1] * t.shape[2]
        return Tensor(shape: [t.shape[1], t.shape[2]], scalars: Array(t.scalars[(k * n)..<((k + 1) * n)]))
    }

    static func setSlice(_ t: inout Tensor, _ k: Int, _ value: Tensor) {
        let n = value.count
        t.scalars.replaceSubrange((k * n)..<((k + 1) * n), with: value.scalars)
    }

    /// `[T, B, H]` and `[T, B, H]` -> `[T, B, 2H]`.
    static func concatFeatures(_ a: Tensor, _ b: Tensor) -> Tensor {
        let H = a.shape[2], rows = a.count / H
        var out = Tensor.zeros([a.shape[0], a.shape[1], 2 * H])
        out.withUnsafeMutableBufferPointer { po in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    for r in 0..<rows {
                        (po.baseAddress! + r * 2 * H).update(from: pa.baseAddress! + r * H, count: H)
                        (po.baseAddress! + r * 2 * H + H).update(from: pb.baseAddress! + r * H, count: H)
                    }
                }
            }
        }
        return out
    }

    /// `[T, B, 2H]` -> (`[T, B, H]`, `[T, B, H]`).
    static func splitFeatures(_ x: Tensor, _ H: Int) -> [Tensor] {
        let rows = x.count / (2 * H)
        var a = Tensor.zeros([x.shape[0], x.shape[1], H]), b = a
        x.withUnsafeBufferPointer { px in
            a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    for r in 0..<rows {
                        (pa.baseAddress! + r * H).update(from: px.baseAddress! + r * 2 * H, count: H)
                        (pb.baseAddress! + r * H).update(from: px.baseAddress! + r * 2 * H + H, count: H)
                    }
                }
            }
        }
        return [a, b]
    }
}
