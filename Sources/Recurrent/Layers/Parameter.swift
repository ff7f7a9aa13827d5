/// A trainable tensor and the gradient accumulated into it.
///
/// Layers own their parameters; `backward` adds into ``grad`` (`+=`), and the
/// training step zeroes all gradients once per step (``Layer/zeroGradients()``).
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// The gradient of the loss with respect to ``value``; same shape.
    public var grad: Tensor

    /// A parameter holding `value`, with a zero gradient.
    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor.zeros(value.shape)
    }

    /// The parameter's shape.
    public var shape: [Int] { value.shape }

    /// Sets the gradients of `parameters` to zero, large ones split over the cores.
    public static func zeroGradients(_ parameters: [Parameter]) {
        for p in parameters {
            p.grad.withUnsafeMutableBufferPointer { g in
                Threads.forChunks(count: g.count) { _, range in
                    (g.baseAddress! + range.lowerBound).update(repeating: 0, count: range.count)
                }
            }
        }
    }
}

/// Anything that owns parameters. The whole protocol is one walk that yields
/// `(name, parameter)` pairs with dotted, PyTorch `state_dict`-style names;
/// optimizers, clipping, checkpoints and `rnn inspect` all use it.
///
/// Each layer also has a `forward` and a `backward`, side by side (their
/// arguments differ, so they are not protocol requirements): `forward`
/// returns its output and a `Trace` value; `backward(_ trace:, grad...:)`
/// takes that trace and the gradient of the output, adds into every
/// parameter's ``Parameter/grad`` and returns the gradient of the input: a
/// ``Tensor`` (``Linear``, ``Dropout``, ``StateBridge``), nothing when the
/// input is ids (``Embedding``), or one gradient per input where `forward` had
/// two (``Attention``: the query and the memory; ``RecurrentLayer``: the input
/// and the initial state, as ``RecurrentPass`` returns `dx` and `dh0`, `dc0`).
/// A task model's `loss` method runs both for a batch and returns a ``BatchLoss``.
public protocol Layer: AnyObject {
    /// Every parameter, named as PyTorch names it in the equivalent module.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
}

extension Layer {
    /// The parameters alone, in walk order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

    /// Sets every gradient to zero.
    public func zeroGradients() { Parameter.zeroGradients(parameters) }
}

/// Prefixes every name of `layer`'s walk with `prefix.` (for composing models).
public func prefixed(_ prefix: String, _ layer: some Layer) -> [(name: String, parameter: Parameter)] {
    layer.namedParameters.map { ("\(prefix).\($0.name)", $0.parameter) }
}
