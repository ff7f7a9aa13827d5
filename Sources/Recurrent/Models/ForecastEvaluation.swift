import Foundation

/// Forecast accuracy against held-out values.
public struct ForecastScores: Sendable, Equatable {
    /// Mean absolute error.
    public var mae: Double
    /// Root mean squared error.
    public var rmse: Double
    /// Symmetric MAPE in percent, as the M4 competition: `100/H sum 2|F - A| / (|A| + |F|)`.
    public var smape: Double
    /// Mean absolute scaled error: MAE over the in-sample MAE of the seasonal-naive
    /// forecast (`y_t - y_{t-m}` over the history); below 1 beats it in-sample.
    public var mase: Double
}

/// Scores and the two baselines `rnn evaluate --baselines` reports beside a model.
public enum ForecastEvaluation {
    /// The scores of `forecast` against `actual`; MASE is scaled by `history`'s seasonal differences at `season`.
    public static func scores(actual: [Float], forecast: [Float], history: [Float], season: Int) -> ForecastScores {
        let n = Double(max(actual.count, 1))
        var abs = 0.0, sq = 0.0, smape = 0.0
        for (a, f) in zip(actual.map(Double.init), forecast.map(Double.init)) {
            abs += Swift.abs(f - a)
            sq += (f - a) * (f - a)
            let denominator = Swift.abs(a) + Swift.abs(f)
            if denominator > 0 { smape += 2 * Swift.abs(f - a) / denominator }
        }
        let m = history.count > season ? season : 1
        var scale = 0.0
        for t in m..<max(m, history.count) { scale += Swift.abs(Double(history[t]) - Double(history[t - m])) }
        scale /= Double(max(history.count - m, 1))
        return ForecastScores(mae: abs / n, rmse: (sq / n).squareRoot(), smape: 100 * smape / n, mase: scale > 0 ? abs / n / scale : .nan)
    }

    /// Repeats the last season: `y_{n+h} = y_{n+h-m*ceil(h/m)}`.
    public static func seasonalNaive(_ history: [Float], horizon: Int, season: Int) -> [Float] {
        guard !history.isEmpty, horizon > 0 else { return [] }
        let m = min(max(season, 1), history.count), n = history.count
        return (1...horizon).map { h in history[n - m + (h - 1) % m] }
    }

    /// A straight line fitted to `history` by least squares, extended `horizon` steps.
    public static func linearTrend(_ history: [Float], horizon: Int) -> [Float] {
        let n = Double(history.count), tMean = (n - 1) / 2
        let yMean = history.reduce(0.0) { $0 + Double($1) } / max(n, 1)
        var sxy = 0.0, sxx = 0.0
        for (t, y) in history.enumerated() { sxy += (Double(t) - tMean) * (Double(y) - yMean); sxx += (Double(t) - tMean) * (Double(t) - tMean) }
        let slope = sxx > 0 ? sxy / sxx : 0
        return (0..<horizon).map { h in Float(yMean + slope * (n + Double(h) - tMean)) }
    }
}
