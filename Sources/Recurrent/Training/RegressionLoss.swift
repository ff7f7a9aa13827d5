/// Losses between real-valued predictions and targets, as PyTorch's
/// `F.mse_loss` and `F.l1_loss`.
///
/// Shapes: `predictions` and `targets` are the same shape, `N` elements in
/// all. MSE: `L = sum (p - y)^2 / N`, `dL/dp = 2 (p - y) / N`. MAE:
/// `L = sum |p - y| / N`, `dL/dp = sign(p - y) / N` (0 where `p == y`, as
/// PyTorch). With `.sum` the `/ N` is dropped. The sum runs in Double.
public enum RegressionLoss: String, Codable, CaseIterable, Sendable {
    /// Mean squared error, or mean absolute error (see the type's equations).
    case mse, mae

    /// The loss and `dL/dpredictions`.
    public func lossAndGradient(predictions: Tensor, targets: Tensor,
                                reduction: CrossEntropy.Reduction = .mean) -> (loss: Float, gradient: Tensor) {
        precondition(predictions.shape == targets.shape,
                     "\(self): predictions \(predictions.shape) and targets \(targets.shape) differ in shape")
        let N = predictions.count
        let scale: Float = reduction == .mean && N > 0 ? 1 / Float(N) : 1
        var gradient = Tensor.zeros(predictions.shape)
        var total = 0.0
        for i in 0..<N {
            let d = predictions.scalars[i] - targets.scalars[i]
            switch self {
            case .mse:
                total += Double(d) * Double(d)
                gradient.scalars[i] = 2 * d * scale
            case .mae:
                total += Double(abs(d))
                gradient.scalars[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) * scale
            }
        }
        return (Float(total * Double(scale)), gradient)
    }
}
