/// One numeric sequence: `F` channels over `T` steps, with its label and where it came from.
public struct TimeSeriesCase: Sendable, Equatable {
    /// `[T, F]` row-major: step `t`, channel `f` at `values[t * channels + f]`; NaN marks a missing value.
    public var values: [Float]
    /// `T`, the number of steps.
    public var length: Int
    /// `F`, the number of channels.
    public var channels: Int
    /// The class label; nil when the file has none (for prediction).
    public var label: String?
    /// The file it was read from.
    public var path: String
    /// The 1-based line it was read from.
    public var line: Int

    /// A case of `length` steps of `channels` values each (`values` is `[T, F]` row-major).
    public init(values: [Float], length: Int, channels: Int, label: String?, path: String, line: Int) {
        self.values = values
        self.length = length
        self.channels = channels
        self.label = label
        self.path = path
        self.line = line
    }

    /// The value of channel `f` at step `t` (NaN when missing).
    public subscript(t: Int, f: Int) -> Float { values[t * channels + f] }
}

/// A set of numeric sequences read from one file.
public struct TimeSeriesSet: Sendable {
    /// The file the set was read from.
    public var path: String
    /// The `@problemName` of a `.ts` file.
    public var problemName: String?
    /// `F`, shared by every case.
    public var channels: Int
    /// The class labels the header declares, in its order (nil when it declares none).
    public var classLabels: [String]?
    /// The sequences, in file order.
    public var cases: [TimeSeriesCase]

    /// A set of `cases` read from `path`, each with `channels` channels.
    public init(path: String, problemName: String? = nil, channels: Int, classLabels: [String]? = nil, cases: [TimeSeriesCase]) {
        self.path = path
        self.problemName = problemName
        self.channels = channels
        self.classLabels = classLabels
        self.cases = cases
    }

    /// The labels of the cases in order of first appearance, or the declared ones.
    public var labels: [String] {
        if let classLabels { return classLabels }
        var seen: [String] = []
        for c in cases { if let l = c.label, !seen.contains(l) { seen.append(l) } }
        return seen
    }
}

/// Parses one number of a numeric data file: finite, or NaN for a missing value
/// (`?`, `NaN`, or an empty field) where `missingAllowed`. Anything else is a
/// ``DataError`` naming the file and line.
func parseValue(_ field: Substring, missingAllowed: Bool, path: String, line: Int, what: String) throws -> Float {
    let s = field.trimmingCharacters(in: .whitespaces)
    let missing = s == "?" || s.isEmpty || s.lowercased() == "nan"
    if missing {
        guard missingAllowed else {
            throw DataError.malformed(path: path, line: line, expected: "\(what) (missing values are not declared; use @missing true or ?)",
                                      found: s.isEmpty ? "an empty field" : "'\(s)'")
        }
        return .nan
    }
    guard let v = Float(s), v.isFinite else {
        throw DataError.malformed(path: path, line: line, expected: what, found: "'\(s.prefix(40))'")
    }
    return v
}
