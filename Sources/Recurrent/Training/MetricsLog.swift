import Foundation

/// A metrics file as `rnn train --metrics` writes it: one JSON object of
/// numbers per line (`step`, `epoch` (1-based), `time` in training seconds,
/// `timestamp` in seconds since 1970, `loss`, `lr`, `grad_norm`,
/// `tokens_per_s` or `examples_per_s` ...; on validation lines `valid_loss`,
/// `valid_accuracy`, `valid_perplexity` ...). Files written before the
/// `valid_` prefix have `accuracy`, `perplexity` ... and read the same way.
package struct MetricsLog: Sendable {
    package let path: String
    /// The records in file order; a `null` value is NaN.
    package let records: [[String: Double]]
    /// Lines that were not a JSON object of numbers: 1-based line number and what was wrong.
    package let skipped: [(line: Int, reason: String)]

    /// Reads `path`, skipping (and listing) broken lines.
    /// - Throws: ``DataError`` when the file cannot be read, or holds no valid record.
    package init(contentsOf path: String) throws {
        let text = try TextFile.read(path)
        var records: [[String: Double]] = [], skipped: [(Int, String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            switch Self.parse(trimmed) {
            case .success(let record): records.append(record)
            case .failure(let why): skipped.append((i + 1, why.reason))
            }
        }
        guard !records.isEmpty else {
            throw DataError.malformed(path: path, line: skipped.first?.0 ?? 1,
                                      expected: "JSON objects of numbers, one per line, as `rnn train --metrics` writes them",
                                      found: skipped.isEmpty ? "no records" : skipped[0].1)
        }
        self.path = path
        self.records = records
        self.skipped = skipped
    }

    struct Broken: Error { let reason: String }

    static func parse(_ line: String) -> Result<[String: Double], Broken> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
            return .failure(Broken(reason: "not valid JSON"))
        }
        guard let dict = object as? [String: Any] else { return .failure(Broken(reason: "not a JSON object")) }
        var record: [String: Double] = [:]
        for (key, value) in dict {
            if value is NSNull { record[key] = .nan; continue }
            guard let n = value as? NSNumber else {
                return .failure(Broken(reason: "value of \"\(key)\" is not a number"))
            }
            record[key] = n.doubleValue
        }
        guard record["step"] != nil else { return .failure(Broken(reason: "no \"step\"")) }
        return .success(record)
    }

    /// The metric names present, in a stable order (losses first).
    package var metricNames: [String] {
        let names = Set(records.flatMap(\.keys)).subtracting(["step", "epoch", "time", "timestamp"])
        return names.sorted { (Self.rank($0), $0) < (Self.rank($1), $1) }
    }

    static func rank(_ name: String) -> Int {
        let order = ["loss", "valid_loss", "perplexity", "valid_perplexity", "valid_bits_per_char", "accuracy", "valid_accuracy",
                     "macro_f1", "valid_macro_f1", "bleu", "valid_bleu", "lr", "grad_norm"]
        return order.firstIndex(of: name) ?? (name.hasSuffix("_per_s") ? order.count + 1 : order.count)
    }
}
