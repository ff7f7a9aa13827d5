/// Something that updates parameters from their gradients, one step at a time.
public protocol Optimizer {
    /// The learning rate used by the next ``step()``.
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its current gradient.
    mutating func step()
}
