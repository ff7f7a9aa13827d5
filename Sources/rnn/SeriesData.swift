import ArgumentParser
import Foundation
import Recurrent

extension MissingValues: ExpressibleByArgument {}
extension ForecastStrategy: ExpressibleByArgument {}
extension RegressionLoss: ExpressibleByArgument {}

/// How numeric-sequence files are read: `.ts` always; CSV in the long form
/// (`--id-column`) or the wide form (`--numeric`).
struct SeriesFormatOptions: ParsableArguments {
    @Option(help: "Numeric CSV with one row per time step: the sequence-id column (a header name or 1-based number); the other columns are channels (and the label).")
    var idColumn: String?
    @Flag(help: "Numeric CSV with one row per sequence: its values across the row (and a label column).")
    var numeric = false

    /// Whether `path` holds numeric sequences: a `.ts` file, a folder with a `_TRAIN.ts`, or a CSV read as numeric by option.
    func isNumeric(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".ts") || SeriesFolder(path) != nil || idColumn != nil || numeric
    }

    /// Reads a file (a folder gives its `_TRAIN.ts`, or `_TEST.ts` with `test`).
    func read(_ path: String, labelColumn: String?, test: Bool = false) throws -> TimeSeriesSet {
        if let folder = SeriesFolder(path) {
            guard let file = test ? folder.test : folder.train else {
                throw DataError.notFound(path: "\(path)/*_\(test ? "TEST" : "TRAIN").ts")
            }
            return try TSFile.read(file)
        }
        if path.lowercased().hasSuffix(".ts") { return try TSFile.read(path) }
        if let idColumn { return try TimeSeriesCSV.readLong(path, idColumn: idColumn, labelColumn: labelColumn) }
        return try TimeSeriesCSV.readWide(path, labelColumn: labelColumn)
    }
}

/// A folder of the UCR/UEA archive: `NAME_TRAIN.ts` and `NAME_TEST.ts`.
struct SeriesFolder {
    var train: String?
    var test: String?

    init?(_ path: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              let files = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        train = files.sorted().first { $0.hasSuffix("_TRAIN.ts") }.map { "\(path)/\($0)" }
        test = files.sorted().first { $0.hasSuffix("_TEST.ts") }.map { "\(path)/\($0)" }
        if train == nil && test == nil { return nil }
    }
}

/// One series for forecasting, with missing values refused or carried forward.
func readForecastSeries(_ path: String, column: String?, missing: MissingValues) throws -> TimeSeriesCSV.Series {
    let s = try TimeSeriesCSV.readSeries(path, column: column)
    guard !s.values.isEmpty else { throw DataError.empty(path: path) }
    if let i = s.values.firstIndex(where: \.isNaN) {
        guard missing == .carry else {
            throw DataError.malformed(path: path, line: s.firstLine + i, expected: "a number in \(s.name) (use --missing carry to fill missing values)", found: "a missing value")
        }
        let whole = TimeSeriesCase(values: s.values, length: s.values.count, channels: 1, label: nil, path: path, line: s.firstLine)
        let filled = try ChannelScaling(mean: [0], std: [1]).encode(whole, missing: .carry).values
        return (filled, s.name, s.firstLine, s.column)
    }
    return s
}

/// Prints accuracy, macro-F1 and the confusion matrix of a numeric classifier on `set`.
func evaluateNumeric(_ model: NumericSequenceClassifier, _ set: TimeSeriesSet, json: Bool, note: String = "") throws {
    let r = model.evaluate(try model.encode(labeled: set.cases))
    let m = r.metrics
    if json {
        print(String(format: #"{"loss":%.6f,"accuracy":%.6f,"macro_f1":%.6f,"examples":%d}"#, r.loss, m.accuracy, m.macroF1, m.total))
        return
    }
    print(String(format: "%@: accuracy %.4f, macro-F1 %.4f, loss %.4f over %d sequences%@", set.path, m.accuracy, m.macroF1, r.loss, m.total, note))
    print(m.table, terminator: "")
}
