import Foundation
import Testing
@testable import Recurrent

/// Optimizers, losses, clipping and schedules agree with PyTorch.
@Suite struct TrainingComponentTests {
    static let optimizerNames = ["sgd", "sgd_momentum_wd", "sgd_nesterov", "adam", "adam_wd", "adamw",
                                 "rmsprop_charrnn", "rmsprop_centered_momentum_wd", "adagrad", "adagrad_decay_wd"]

    static func makeOptimizer(_ name: String, _ params: [(name: String, parameter: Parameter)]) -> any Optimizer {
        switch name {
        case "sgd": return SGD(parameters: params, learningRate: 0.1)
        case "sgd_momentum_wd": return SGD(parameters: params, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        case "sgd_nesterov": return SGD(parameters: params, learningRate: 0.1, momentum: 0.9, nesterov: true)
        case "adam": return Adam(parameters: params, learningRate: 0.01)
        case "adam_wd": return Adam(parameters: params, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1)
        case "adamw": return Adam(parameters: params, learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)
        case "rmsprop_charrnn": return RMSprop(parameters: params, learningRate: 0.002, alpha: 0.95)
        case "rmsprop_centered_momentum_wd":
            return RMSprop(parameters: params, learningRate: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.01)
        case "adagrad": return Adagrad(parameters: params, learningRate: 0.1)
        case "adagrad_decay_wd":
            return Adagrad(parameters: params, learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.01, initialAccumulator: 0.1)
        default: fatalError("unknown optimizer \(name)")
        }
    }

    @Test("five steps match torch.optim within 1e-6 relative", arguments: optimizerNames)
    func optimizerMatchesPyTorch(name: String) throws {
        let f = try fixture("optimizers")
        let a = Parameter(try f.tensor("p0.a")), b = Parameter(try f.tensor("p0.b"))
        var opt = Self.makeOptimizer(name, [("a", a), ("b", b)])
        for k in 0..<5 {
            a.grad = try f.tensor("grad\(k).a")
            b.grad = try f.tensor("grad\(k).b")
            opt.step()
            expectClose(a.value, try f.tensor("\(name).step\(k).a"), atol: 1e-7, rtol: 1e-6, "\(name) step \(k) a")
            expectClose(b.value, try f.tensor("\(name).step\(k).b"), atol: 1e-7, rtol: 1e-6, "\(name) step \(k) b")
        }
        #expect(opt.stepCount == 5)
    }

    @Test("saving and restoring optimizer state continues identically", arguments: optimizerNames)
    func optimizerStateRoundTrips(name: String) throws {
        let f = try fixture("optimizers")
        func fresh() throws -> (Parameter, Parameter) { (Parameter(try f.tensor("p0.a")), Parameter(try f.tensor("p0.b"))) }
        let (a1, b1) = try fresh()
        var straight = Self.makeOptimizer(name, [("a", a1), ("b", b1)])
        let (a2, b2) = try fresh()
        var first = Self.makeOptimizer(name, [("a", a2), ("b", b2)])
        for k in 0..<5 {
            a1.grad = try f.tensor("grad\(k).a"); b1.grad = try f.tensor("grad\(k).b")
            straight.step()
        }
        for k in 0..<2 {
            a2.grad = try f.tensor("grad\(k).a"); b2.grad = try f.tensor("grad\(k).b")
            first.step()
        }
        let saved = Dictionary(uniqueKeysWithValues: first.stateTensors().map { ($0.name, $0.tensor) })
        let a3 = Parameter(a2.value), b3 = Parameter(b2.value)
        var resumed = Self.makeOptimizer(name, [("a", a3), ("b", b3)])
        try resumed.loadState(saved, stepCount: first.stepCount)
        for k in 2..<5 {
            a3.grad = try f.tensor("grad\(k).a"); b3.grad = try f.tensor("grad\(k).b")
            resumed.step()
        }
        #expect(a3.value == a1.value && b3.value == b1.value, "\(name)")
    }

    @Test func optimizerStateErrorsNameTheTensor() {
        var adam = Adam(parameters: [("w", Parameter(.zeros([2])))])
        #expect(throws: OptimizerStateError(description: "optimizer state 'exp_avg.w' is missing")) {
            try adam.loadState([:], stepCount: 1)
        }
        #expect(throws: OptimizerStateError(description: "optimizer state 'exp_avg.w' has shape [3], expected [2]")) {
            try adam.loadState(["exp_avg.w": .zeros([3]), "exp_avg_sq.w": .zeros([2])], stepCount: 1)
        }
    }

    @Test("cross-entropy matches F.cross_entropy", arguments: ["mean", "sum"], [Float(0), 0.1])
    func crossEntropyMatchesPyTorch(reduction: String, smoothing: Float) throws {
        let f = try fixture("losses")
        let key = "\(reduction)_ls\(smoothing == 0 ? "0.0" : "0.1")"
        let r = CrossEntropy.lossAndGradient(logits: try f.tensor("logits"), targets: try f.tensor("targets").scalars.map { Int($0) },
                                             reduction: reduction == "mean" ? .mean : .sum, labelSmoothing: smoothing)
        expectClose(Tensor(shape: [1], scalars: [r.loss]), try f.tensor("\(key).loss"), "\(key) loss")
        expectClose(r.gradient, try f.tensor("\(key).grad"), "\(key) gradient")
        #expect(r.counted == 5)
    }

    @Test func clippingByGlobalNormFollowsPyTorch() {
        let a = Parameter(.zeros([2])), b = Parameter(.zeros([1]))
        a.grad = Tensor(shape: [2], scalars: [3, 0]); b.grad = Tensor(shape: [1], scalars: [4])
        let norm = GradientClipping.clipByGlobalNorm([a, b], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(a.grad.scalars[0] - 0.6) < 1e-6 && abs(b.grad.scalars[0] - 0.8) < 1e-6)
        // Below the limit nothing changes.
        let n2 = GradientClipping.clipByGlobalNorm([a, b], maxNorm: 10)
        #expect(abs(n2 - 1) < 1e-5 && abs(a.grad.scalars[0] - 0.6) < 1e-6)
        GradientClipping.clipByValue([a, b], limit: 0.7)
        #expect(b.grad.scalars[0] == 0.7 && abs(a.grad.scalars[0] - 0.6) < 1e-6)
    }

    @Test func schedulesFollowTheirRecipes() {
        let zaremba = LearningRateScheduler(schedule: .decayAfter(epoch: 4, factor: 0.5), baseRate: 1)
        #expect((0..<7).map { zaremba.rate(step: 0, epoch: $0) } == [1, 1, 1, 1, 0.5, 0.25, 0.125])
        let charRNN = LearningRateScheduler(schedule: .decayAfter(epoch: 10, factor: 0.97), baseRate: 2e-3)
        #expect(charRNN.rate(step: 0, epoch: 9) == 2e-3)
        #expect(abs(charRNN.rate(step: 0, epoch: 11) - 2e-3 * 0.97 * 0.97) < 1e-9)
        let stepLR = LearningRateScheduler(schedule: .step(every: 2, factor: 0.1), baseRate: 1)
        #expect((0..<5).map { stepLR.rate(step: 0, epoch: $0) }.map { ($0 * 1000).rounded() } == [1000, 1000, 100, 100, 10])
        let cosine = LearningRateScheduler(schedule: .cosine(warmupSteps: 10, totalSteps: 110, minimum: 0.1), baseRate: 1)
        #expect(cosine.rate(step: 0, epoch: 0) == 0.1 && cosine.rate(step: 9, epoch: 0) == 1)
        #expect(abs(cosine.rate(step: 60, epoch: 0) - 0.55) < 1e-6)
        #expect(abs(cosine.rate(step: 110, epoch: 0) - 0.1) < 1e-6 && abs(cosine.rate(step: 500, epoch: 0) - 0.1) < 1e-6)
        var plateau = LearningRateScheduler(schedule: .reduceOnPlateau(factor: 0.5, patience: 1, minimum: 0.3), baseRate: 1)
        for loss in [3.0, 2.0, 2.0, 2.0] { plateau.validated(loss: loss) }
        #expect(plateau.rate(step: 0, epoch: 0) == 0.5)
        for loss in [2.5, 2.5, 2.5, 2.5] { plateau.validated(loss: loss) }
        #expect(plateau.rate(step: 0, epoch: 0) == 0.3)     // floor
        #expect(validationMessage(try LearningRateSchedule.decayAfter(epoch: 1, factor: 1.5).validate()) == "decay factor must lie in (0, 1]")
        #expect(validationMessage(try LearningRateSchedule.cosine(warmupSteps: 1, totalSteps: 0, minimum: 0).validate()) != nil)
        #expect(validationMessage(try LearningRateSchedule.constant.validate()) == nil)
    }
}
