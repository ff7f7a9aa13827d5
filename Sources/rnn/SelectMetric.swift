import ArgumentParser

/// `--select`: the validation figure that picks the best checkpoint and drives early stopping.
enum SelectMetric: String, ExpressibleByArgument, CaseIterable {
    case loss, accuracy
    case macroF1 = "macro_f1"
    case bleu

    /// The name the Trainer records, nil for the loss (its default).
    var trainerMetric: String? { self == .loss ? nil : rawValue }
}
