/// Told by a backward pass each time a group of parameters has its final
/// gradient for the batch: a model reports its output layer first, then each
/// recurrent layer from the top down, then the embedding. A data-parallel
/// reducer (`GradientReducer`) sends those gradients while the rest of
/// backward runs, so the backward pass must not add into them afterwards.
public typealias GradientsReady = ([Parameter]) -> Void
