import ArgumentParser
import Foundation
import Recurrent

/// `rnn train forecast`: an LSTM/GRU that reads a window of a series and predicts the next values.
struct TrainForecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Train a forecaster on one numeric series (a CSV column).",
        discussion: """
        The last --horizon values are held out (unless --use-all), so `rnn evaluate --model M --data SAME.csv`
        scores the forecast of exactly those values. Every window of --window values in the rest is a
        training example; the targets are the next --horizon values (direct) or the next one (recursive).
        Examples:
          rnn train forecast --data timeseries/Airline.csv --horizon 12 --window 36 \\
              --log --difference 12 --season 12 --epochs 200 \\
              --out airline.safetensors
          rnn evaluate --model airline.safetensors --data timeseries/Airline.csv \\
              --baselines
          rnn forecast --model airline.safetensors --data timeseries/Airline.csv
        """)

    @Option(help: "The series: a CSV file (one row per time step) or a data set file (timeseries/Airline.csv).")
    var data: String
    @Option(help: "The value column (a header name or 1-based number; default: the last column).")
    var column: String?
    @Option(help: "How many future values to forecast.")
    var horizon: Int
    @Option(help: "How many past values the network reads.")
    var window: Int
    @Option(help: "direct (all horizon values at once) or recursive (one step ahead, fed back).")
    var strategy: ForecastStrategy = .direct
    @Option(help: "Training loss: mse or mae.")
    var loss: RegressionLoss = .mse
    @Flag(help: "Model the log of the series (every value must be positive).")
    var log = false
    @Option(help: "Model differences at this lag (1: change from the previous value, 12: from the same month last year; 0: none).")
    var difference = 0
    @Option(help: "Seasonal period for MASE and the seasonal-naive baseline (12 for monthly data, 1 for none).")
    var season = 1
    @Option(help: "Missing values: refuse or carry (last value forward).")
    var missing: MissingValues = .refuse
    @Flag(help: "Train on the whole series (no values held out for `rnn evaluate`).")
    var useAll = false
    @Option(help: "Windows per batch.")
    var batch = 16
    @OptionGroup var model: ModelOptions
    @OptionGroup var training: TrainingArguments

    func validate() throws {
        try Check.count(horizon, "--horizon", in: 1...10_000_000)
        try Check.count(window, "--window", in: 1...10_000_000)
        try Check.count(difference, "--difference", in: 0...10_000_000)
        try Check.count(season, "--season", in: 1...10_000_000)
        try Check.count(batch, "--batch", in: 1...Int.max)
        if missing == .mask { throw ValidationError("--missing mask is for classifiers; a forecaster takes refuse or carry") }
        if model.embedding != nil { throw ValidationError("--embedding is for text; a forecaster reads numbers") }
    }

    func run() throws {
        try userFacing {
            let path = try DataCatalog.resolve(data)
            let series = try readForecastSeries(path, column: column, missing: missing)
            let n = series.values.count, lastLine = series.firstLine + n - 1
            guard horizon < n else {
                throw DataError.malformed(path: path, line: lastLine, expected: "a series longer than --horizon \(horizon)", found: "\(n) values")
            }
            guard window < n else {
                throw DataError.malformed(path: path, line: lastLine, expected: "a series longer than --window \(window)", found: "\(n) values")
            }
            guard difference < n else {
                throw DataError.malformed(path: path, line: lastLine, expected: "a series longer than --difference \(difference)", found: "\(n) values")
            }
            let trainValues = useAll ? series.values : Array(series.values.dropLast(horizon))
            let outputs = strategy == .direct ? horizon : 1
            let needed = window + difference + outputs
            guard trainValues.count >= needed else {
                throw DataError.malformed(path: path, line: lastLine,
                                          expected: "at least \(needed + (useAll ? 0 : horizon)) values for one training window (--window \(window) + --difference \(difference) + \(outputs) target\(outputs == 1 ? "" : "s")\(useAll ? "" : " + \(horizon) held out"))",
                                          found: "\(n) values")
            }
            let z = try Forecaster.transform(trainValues, logTransform: log, difference: difference, path: path, firstLine: series.firstLine)
            if let i = z.firstIndex(where: { !$0.isFinite }) {
                throw DataError.malformed(path: path, line: series.firstLine + i + difference, expected: "values whose differences fit in a 32-bit float", found: "\(trainValues[i + difference])")
            }
            let scaling = ChannelScaling.fit([TimeSeriesCase(values: z, length: z.count, channels: 1, label: nil, path: path, line: series.firstLine)], channels: 1)
            var config = ForecasterConfig(cell: model.cell, hiddenSize: model.hidden ?? 64, layers: model.layers ?? 1, dropout: model.dropout ?? 0,
                                          window: window, horizon: horizon, strategy: strategy, loss: loss, logTransform: log,
                                          difference: difference, season: season, scaling: scaling)
            config.column = series.column
            try Check.trainable(config.parameterCount)
            var rng = SeededRNG(seed: training.seed)
            let forecaster = Forecaster(config: config, rng: &rng)
            let task = ForecastTask(model: forecaster, series: z.map { ($0 - scaling.mean[0]) / scaling.std[0] }, batch: batch)
            try trainTask(task, training: training, inputs: ["--data": path], describe: """
                data: \(path): \(series.name), \(n) values; training on the first \(trainValues.count)\(useAll ? "" : " (the last \(horizon) held out for `rnn evaluate`)"), \(task.windowCount) windows
                model: \(config.layers) x \(config.cell) \(config.hiddenSize), window \(window), horizon \(horizon) \(strategy), \(loss) loss\(log ? ", log" : "")\(difference > 0 ? ", difference lag \(difference)" : ""), \(forecaster.parameterCount) parameters
                """)
        }
    }
}
