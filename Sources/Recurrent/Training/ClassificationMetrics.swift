/// Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix.
public struct ClassificationMetrics: Sendable, Equatable {
    /// Class names in id order.
    public let labels: [String]
    /// `confusion[truth][predicted]`.
    public private(set) var confusion: [[Int]]

    /// Empty counts for the classes `labels`.
    public init(labels: [String]) {
        self.labels = labels
        confusion = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
    }

    /// Counts one example of class `truth` predicted as `predicted` (both ids).
    public mutating func add(truth: Int, predicted: Int) { confusion[truth][predicted] += 1 }

    /// The number of examples counted.
    public var total: Int { confusion.joined().reduce(0, +) }
    /// The fraction of examples predicted correctly, in `[0, 1]` (0 when none were counted).
    public var accuracy: Double {
        total == 0 ? 0 : Double(labels.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(total)
    }

    /// F1 of class `c` (0 when it has neither predictions nor examples).
    public func f1(_ c: Int) -> Double {
        let tp = Double(confusion[c][c])
        let predicted = Double(labels.indices.reduce(0) { $0 + confusion[$1][c] })
        let actual = Double(confusion[c].reduce(0, +))
        guard predicted + actual > 0 else { return 0 }
        return 2 * tp / (predicted + actual)
    }

    /// The unweighted mean of the F1 of classes that occur in the data or the predictions.
    public var macroF1: Double {
        let present = labels.indices.filter { c in confusion[c].reduce(0, +) > 0 || labels.indices.contains { confusion[$0][c] > 0 } }
        return present.isEmpty ? 0 : present.map(f1).reduce(0, +) / Double(present.count)
    }

    /// The confusion matrix as text, rows = truth, columns = prediction.
    public var table: String {
        let width = max(6, labels.map(\.count).max() ?? 0) + 1
        func pad(_ s: String) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
        var out = pad("truth\\pred") + labels.map(pad).joined() + "\n"
        for (i, row) in confusion.enumerated() { out += pad(labels[i]) + row.map { pad(String($0)) }.joined() + "\n" }
        return out
    }
}
