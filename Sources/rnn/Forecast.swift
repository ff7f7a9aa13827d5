import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn forecast`: the next values of a series.
    struct Forecast: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast the values that follow a series with a trained forecaster.",
            discussion: "Prints one line per future step: its number after the end of the series and the forecast value.")

        @OptionGroup var modelFile: ModelFileOption
        @Option(help: "The series: a CSV file (one row per time step).")
        var data: String
        @Option(help: "The value column (a header name or 1-based number; default: the column the model was trained on, else the last).")
        var column: String?
        @Option(help: "Missing values in the series: refuse or carry (last value forward).")
        var missing: MissingValues = .refuse
        @OptionGroup var output: JSONOption
        @OptionGroup var threads: ThreadsOption

        func validate() throws {
            if missing == .mask { throw ValidationError("--missing mask is for classifiers; a forecaster takes refuse or carry") }
        }

        func run() throws {
            try userFacing {
                let forecaster = try Forecaster(checkpoint: try Checkpoint.read(modelFile.path))
                let path = try DataCatalog.resolve(data)
                let series = try readForecastSeries(path, column: column ?? forecaster.config.column, missing: missing)
                let values = try forecaster.forecast(series.values, path: path, firstLine: series.firstLine)
                if output.json {
                    print("[" + values.map { jsonNumber($0) }.joined(separator: ",") + "]")
                    return
                }
                print("\(path): \(series.name), \(series.values.count) values; the next \(values.count):")
                for (h, v) in values.enumerated() { print(String(format: "+%d\t%.4f", h + 1, Double(v))) }
            }
        }
    }
}
