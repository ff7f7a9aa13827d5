import Foundation
import Testing
@testable import Recurrent

/// Regression losses, the dense input path, the numeric classifier and the forecaster.
@Suite struct TimeSeriesModelTests {
    @Test func regressionLossesMatchPyTorch() throws {
        let f = try fixture("regression_losses")
        let p = try f.tensor("predictions"), y = try f.tensor("targets")
        for loss in RegressionLoss.allCases {
            for (name, reduction) in [("mean", CrossEntropy.Reduction.mean), ("sum", .sum)] {
                let r = loss.lossAndGradient(predictions: p, targets: y, reduction: reduction)
                expectClose(Tensor(shape: [1], scalars: [r.loss]), try f.tensor("\(loss)_\(name).loss"), "\(loss) \(name) loss")
                expectClose(r.gradient, try f.tensor("\(loss)_\(name).grad"), "\(loss) \(name) gradient")
            }
        }
    }

    @Test("regression loss gradients match finite differences", arguments: RegressionLoss.allCases)
    func regressionLossGradients(loss: RegressionLoss) {
        let p = randomTensor([4, 3], seed: 21), y = randomTensor([4, 3], seed: 22)
        let g = loss.lossAndGradient(predictions: p, targets: y).gradient
        for i in 0..<p.count {
            var plus = p, minus = p
            plus.scalars[i] += 1e-3
            minus.scalars[i] -= 1e-3
            let numeric = (Double(loss.lossAndGradient(predictions: plus, targets: y).loss)
                           - Double(loss.lossAndGradient(predictions: minus, targets: y).loss)) / 2e-3
            #expect(abs(numeric - Double(g.scalars[i])) < 1e-3, "\(loss)[\(i)]: \(g.scalars[i]) vs \(numeric)")
        }
    }

    /// The dense path: values [T, B, I] with ragged lengths -> recurrent stack -> pooling -> linear -> MSE.
    @Test("dense input path gradients match finite differences", arguments: Pooling.allCases)
    func denseInputGradients(pooling: Pooling) {
        var rng = SeededRNG(seed: 31)
        let stack = PooledRecurrentStack(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, dropout: 0,
                                         pooling: pooling, outputs: 2, rng: &rng)
        let x = FiniteDifferenceTests.Box(randomTensor([5, 3, 3], seed: 32)), lengths = [5, 2, 4]
        let targets = randomTensor([3, 2], seed: 33)
        func mse(_ out: Tensor) -> (loss: Double, gradient: Tensor) {
            let r = RegressionLoss.mse.lossAndGradient(predictions: out, targets: targets)
            return (Double(r.loss), r.gradient)
        }
        func loss() -> Double {
            var rng = SeededRNG(seed: 1)
            let out = stack.run(x.t, lengths: lengths, training: false, rng: &rng, loss: nil).output
            var total = 0.0
            for i in 0..<out.count { total += pow(Double(out.scalars[i]) - Double(targets.scalars[i]), 2) }
            return total / Double(out.count)
        }
        stack.zeroGradients()
        var rng2 = SeededRNG(seed: 1)
        let dx = stack.run(x.t, lengths: lengths, training: true, rng: &rng2, loss: mse).gradInput!
        FiniteDifferenceTests().checkElements(x, analytic: dx, what: "\(pooling) x", eps: 1e-2, loss: loss)
        expectGradientsMatchFiniteDifferences(stack.namedParameters, names: ["rnn.weight_ih_l0", "rnn.weight_hh_l1_reverse", "head.weight", "head.bias"],
                                              stride: 3, what: "\(pooling)", loss: loss)
    }

    /// Rising or falling noisy series of random lengths 8-24 around 100.
    static func risingFalling(count: Int, seed: UInt64) -> [TimeSeriesCase] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { i in
            let rising = i % 2 == 0, T = 8 + rng.nextInt(below: 17)
            let start = rng.nextFloat(in: -1..<1), slope = rng.nextFloat(in: 0.5..<1) * (rising ? 1 : -1)
            var values: [Float] = []
            for t in 0..<T { values.append(100 + start + slope * Float(t) + rng.nextFloat(in: -0.1..<0.1)) }
            return TimeSeriesCase(values: values, length: T, channels: 1, label: rising ? "rising" : "falling", path: "synthetic", line: i + 1)
        }
    }

    @Test func numericClassifierTellsRisingFromFallingSeries() throws {
        let train = Self.risingFalling(count: 256, seed: 41), test = Self.risingFalling(count: 200, seed: 42)
        let config = NumericClassifierConfig(cell: .gru, hiddenSize: 16, layers: 1, bidirectional: false, dropout: 0, pooling: .last,
                                             labels: ["falling", "rising"], scaling: ChannelScaling.fit(train, channels: 1), missing: .refuse)
        var rng = SeededRNG(seed: 43)
        let model = NumericSequenceClassifier(config: config, rng: &rng)
        let dir = TrainerTests.tempDir()
        var o = TrainerTests.options(dir, steps: 600, validateEvery: 0)
        o.optimizer.learningRate = 0.02
        let task = ClassificationTask(model: model, train: try model.encode(labeled: train), valid: nil, batch: 16)
        try TrainerTests.quiet(Trainer(task: task, options: o)).run()
        let testData = try model.encode(labeled: test)
        #expect(model.evaluate(testData).metrics.accuracy == 1)
        // The checkpoint holds the scaling: a reloaded model gives the same probabilities.
        let reloaded = try NumericSequenceClassifier(checkpoint: try Checkpoint.read(dir + "/model.safetensors"))
        #expect(reloaded.config == model.config)
        #expect(reloaded.probabilities(try test.map(reloaded.encode)) == model.probabilities(testData.sequences))
        #expect(throws: LabelError.self) { try model.encode(labeled: [TimeSeriesCase(values: [1], length: 1, channels: 1, label: "flat", path: "t.ts", line: 9)]) }
        #expect(throws: DataError.self) { try model.encode(TimeSeriesCase(values: [1, 2], length: 1, channels: 2, label: nil, path: "t.ts", line: 9)) }
    }

    @Test func forecasterPredictsASineWaveWithin0_1() throws {
        // y = sin(2 pi t / 16): 200 values; the last 8 held out.
        let y = (0..<200).map { Float(sin(2 * Double.pi * Double($0) / 16)) }
        let history = Array(y.prefix(192)), actual = Array(y.suffix(8))
        let config = ForecasterConfig(cell: .lstm, hiddenSize: 16, layers: 1, dropout: 0, window: 16, horizon: 8, strategy: .direct, loss: .mse,
                                      logTransform: false, difference: 0, season: 16,
                                      scaling: ChannelScaling.fit([TimeSeriesCase(values: history, length: 192, channels: 1, label: nil, path: "", line: 1)], channels: 1))
        var rng = SeededRNG(seed: 51)
        let model = Forecaster(config: config, rng: &rng)
        let scaled = history.map { ($0 - config.scaling.mean[0]) / config.scaling.std[0] }
        var o = TrainerTests.options(TrainerTests.tempDir(), steps: 300, validateEvery: 0)
        o.optimizer.learningRate = 0.01
        try TrainerTests.quiet(Trainer(task: ForecastTask(model: model, series: scaled, batch: 16), options: o)).run()
        let forecast = try model.forecast(history, path: "sine")
        let scores = ForecastEvaluation.scores(actual: actual, forecast: forecast, history: history, season: 16)
        #expect(scores.mae < 0.1, "MAE \(scores.mae) on a sine of amplitude 1")
        // The recursive strategy feeds one-step forecasts back.
        var recursive = config
        recursive.strategy = .recursive
        let r = Forecaster(config: recursive, rng: &rng)
        #expect(try r.forecast(history, path: "sine").count == 8)
        #expect(throws: DataError.self) { try model.forecast(Array(history.prefix(10)), path: "short.csv") }
    }

    @Test func transformsBaselinesAndScoresAreExact() throws {
        let e = Float(M_E)
        let z = try Forecaster.transform([1, e, e * e], logTransform: true, difference: 1, path: "t.csv", firstLine: 2)
        #expect(z.count == 2 && z.allSatisfy { abs($0 - 1) < 1e-5 })
        #expect(throws: DataError.malformed(path: "t.csv", line: 3, expected: "a positive value (the model takes its log)", found: "0.0")) {
            try Forecaster.transform([1, 0], logTransform: true, difference: 0, path: "t.csv", firstLine: 2)
        }
        let seasonal: [Float] = [1, 5, 3, 1, 5, 3, 1, 5]
        #expect(ForecastEvaluation.seasonalNaive(seasonal, horizon: 4, season: 3) == [3, 1, 5, 3])
        #expect(ForecastEvaluation.linearTrend([1, 3, 5, 7], horizon: 2) == [9, 11])
        let s = ForecastEvaluation.scores(actual: [2, 4], forecast: [3, 2], history: [1, 2, 4, 7], season: 1)
        #expect(s.mae == 1.5 && abs(s.rmse - (2.5).squareRoot()) < 1e-12)
        #expect(abs(s.smape - 100 * (2.0 / 5 + 4.0 / 6) / 2) < 1e-9)
        #expect(s.mase == 1.5 / 2)                          // in-sample naive errors 1, 2, 3
    }
}
