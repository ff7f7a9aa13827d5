/// A fully connected layer, `y = x W^T + b`, as PyTorch's `nn.Linear`.
///
/// Shapes: `x` is `[..., I]`, `y` is `[..., O]`, `W` (`weight`) is `[O, I]`,
/// `b` (`bias`) is `[O]`. Initialised as PyTorch does: U(-1/sqrt(I), 1/sqrt(I)).
public final class Linear: Layer {
    /// `I`, the size of each input row.
    public let inputSize: Int
    /// `O`, the size of each output row.
    public let outputSize: Int
    /// `[O, I]`
    public let weight: Parameter
    /// `[O]`, or nil for a layer without bias.
    public let bias: Parameter?

    /// What ``backward(_:gradOutput:)`` needs: the input.
    public struct Trace { public let input: Tensor }

    /// A layer `I -> O`, initialised as PyTorch's `nn.Linear`: U(-1/sqrt(I), 1/sqrt(I)) for weight and bias.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, rng: inout SeededRNG) {
        precondition(inputSize > 0 && outputSize > 0, "Linear(\(inputSize) => \(outputSize)) needs positive sizes")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let bound = 1 / Float(inputSize).squareRoot()
        weight = Parameter(.uniform([outputSize, inputSize], low: -bound, high: bound, rng: &rng))
        self.bias = bias ? Parameter(.uniform([outputSize], low: -bound, high: bound, rng: &rng)) : nil
    }

    /// A layer whose weight is `weight` itself (shared with another layer, as a tied
    /// output layer shares its embedding's table), with a bias initialised as `init` does.
    public init(sharing weight: Parameter, bias: Bool = true, rng: inout SeededRNG) {
        precondition(weight.shape.count == 2 && weight.shape.allSatisfy { $0 > 0 }, "Linear(sharing:) needs an [O, I] weight, got \(weight.shape)")
        outputSize = weight.shape[0]
        inputSize = weight.shape[1]
        self.weight = weight
        let bound = 1 / Float(inputSize).squareRoot()
        self.bias = bias ? Parameter(.uniform([outputSize], low: -bound, high: bound, rng: &rng)) : nil
    }

    /// `weight` and (when it has one) `bias`, as PyTorch names them.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `y = x W^T + b` for every row of `x` (`[..., I]` -> `[..., O]`).
    public func forward(_ x: Tensor) -> (output: Tensor, trace: Trace) {
        precondition(x.shape.last == inputSize,
                     "Linear(\(inputSize) => \(outputSize)) expects x of [..., \(inputSize)], got \(x.shape)")
        let rows = x.count / inputSize
        var y = Tensor.zeros(Array(x.shape.dropLast()) + [outputSize])
        x.withUnsafeBufferPointer { px in
            weight.value.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    gemm(transB: true, m: rows, n: outputSize, k: inputSize,
                         a: px.baseAddress!, lda: inputSize, b: pw.baseAddress!, ldb: inputSize,
                         c: py.baseAddress!, ldc: outputSize)
                    if let bias {
                        bias.value.withUnsafeBufferPointer { pb in
                            Pointwise.addRowVector(pb.baseAddress!, to: py.baseAddress!, rows: rows, n: outputSize)
                        }
                    }
                }
            }
        }
        return (y, Trace(input: x))
    }

    /// Adds `dW += dy^T x` and `db += sum(dy)`; returns `dx = dy W`.
    public func backward(_ trace: Trace, gradOutput dy: Tensor) -> Tensor {
        let x = trace.input
        precondition(dy.shape == Array(x.shape.dropLast()) + [outputSize],
                     "Linear(\(inputSize) => \(outputSize)) backward expects dy of \(Array(x.shape.dropLast()) + [outputSize]), got \(dy.shape)")
        let rows = x.count / inputSize
        var dx = Tensor.zeros(x.shape)
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                weight.grad.withUnsafeMutableBufferPointer { pdw in
                    gemm(transA: true, m: outputSize, n: inputSize, k: rows,
                         a: pdy.baseAddress!, lda: outputSize, b: px.baseAddress!, ldb: inputSize,
                         beta: 1, c: pdw.baseAddress!, ldc: inputSize)
                }
            }
            if let bias {
                bias.grad.withUnsafeMutableBufferPointer { pdb in
                    Pointwise.accumulateColumnSums(pdy.baseAddress!, rows: rows, n: outputSize, into: pdb.baseAddress!)
                }
            }
            weight.value.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    gemm(m: rows, n: inputSize, k: outputSize,
                         a: pdy.baseAddress!, lda: outputSize, b: pw.baseAddress!, ldb: inputSize,
                         c: pdx.baseAddress!, ldc: inputSize)
                }
            }
        }
        return dx
    }
}
