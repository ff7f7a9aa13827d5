/// Something that updates parameters from their gradients, one step at a time.
///
/// Optimizers are built over a named parameter walk, so their per-parameter
/// state is saved in checkpoints under `"<state>.<parameter name>"`.
public protocol Optimizer {
    /// The learning rate used by the next ``step()``.
    var learningRate: Float { get set }
    /// Steps taken so far.
    var stepCount: Int { get }
    /// Applies one update to every parameter from its current gradient.
    mutating func step()
    /// The per-parameter state (moments, velocities, sums), named for checkpoints.
    func stateTensors() -> [(name: String, tensor: Tensor)]
    /// Restores state written by ``stateTensors()``; `tensors` holds every name it wrote.
    mutating func loadState(_ tensors: [String: Tensor], stepCount: Int) throws
}

/// Why optimizer state could not be restored.
public struct OptimizerStateError: RecurrentError, Equatable {
    /// The whole message: which state tensor, and what was wrong with it.
    public let description: String
}

/// Per-parameter buffers with one shape each, named `<kind>.<parameter name>`.
struct OptimizerSlots {
    let kind: String
    var tensors: [Tensor]

    init(kind: String, parameters: [(name: String, parameter: Parameter)]) {
        self.kind = kind
        self.tensors = parameters.map { Tensor.zeros($0.parameter.shape) }
    }

    func named(_ parameters: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)] {
        zip(parameters, tensors).map { ("\(kind).\($0.name)", $1) }
    }

    mutating func load(_ source: [String: Tensor], _ parameters: [(name: String, parameter: Parameter)]) throws {
        for (k, p) in parameters.enumerated() {
            let key = "\(kind).\(p.name)"
            guard let t = source[key] else { throw OptimizerStateError(description: "optimizer state '\(key)' is missing") }
            guard t.shape == p.parameter.shape else {
                throw OptimizerStateError(description: "optimizer state '\(key)' has shape \(t.shape), expected \(p.parameter.shape)")
            }
            tensors[k] = t
        }
    }
}
