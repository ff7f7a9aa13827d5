import Foundation

/// Times the real code paths on random data: one full training step, or one
/// generated token at batch 1.
public enum ModelBenchmark {
    public struct Result: Sendable {
        public var config: String
        public var mode: String
        /// Milliseconds per training step, or microseconds per generated token.
        public var milliseconds: Double
        public var tokensPerSecond: Double
        public var gflops: Double
        public var peakRSSMegabytes: Double

        /// One JSON object, the fields Scripts/bench_pytorch.py prints too.
        public var json: String {
            let time = mode == "generate" ? String(format: "\"token_us\":%.2f", milliseconds * 1000) : String(format: "\"step_ms\":%.3f", milliseconds)
            return String(format: "{\"config\":\"%@\",\"mode\":\"%@\",%@,\"tokens_per_s\":%.1f,\"gflops\":%.2f,\"peak_rss_mb\":%.1f,\"impl\":\"recurrent\",\"gemm\":\"%@\",\"threads\":%d}",
                          config, mode, time, tokensPerSecond, gflops, peakRSSMegabytes, GEMMBackend.current.rawValue, Threads.count)
        }
    }

    /// Runs `config`: warm-up, then timed repetitions for at least `seconds`.
    public static func run(_ config: BenchmarkConfig, seconds: Double = 3) -> Result {
        switch config.mode {
        case .train: return train(config, seconds: seconds)
        case .generate: return generate(config, seconds: seconds)
        case .gemm:
            let r = GEMMBenchmark.run(size: config.size, backend: .current, minSeconds: seconds / 2)
            return Result(config: config.name, mode: "gemm", milliseconds: r.seconds * 1000, tokensPerSecond: 0, gflops: r.gflops,
                          peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
        }
    }

    static func train(_ c: BenchmarkConfig, seconds: Double) -> Result {
        var rng = SeededRNG(seed: 1)
        let T = c.seq, B = c.batch, D = c.bidirectional ? 2 : 1
        let embedding = Embedding(vocabularySize: c.vocabulary, embeddingSize: c.embedding, rng: &rng)
        let rnn = RecurrentLayer(cell: c.cell, inputSize: c.embedding, hiddenSize: c.hidden, layers: c.layers,
                                 bidirectional: c.bidirectional, rng: &rng)
        let classes = c.head == .perToken ? c.vocabulary : 2
        let head = Linear(inputSize: D * c.hidden, outputSize: classes, rng: &rng)
        let parameters = prefixed("embedding", embedding) + prefixed("rnn", rnn) + prefixed("head", head)
        var adam = Adam(parameters: parameters, learningRate: 1e-3)
        let inputs = (0..<(T * B)).map { _ in rng.nextInt(below: c.vocabulary) }
        let targets = (0..<(c.head == .perToken ? T * B : B)).map { _ in rng.nextInt(below: classes) }

        func step() {
            Parameter.zeroGradients(parameters.map(\.parameter))
            let e = embedding.forward(ids: inputs, shape: [T, B])
            let r = rnn.forward(e.output)
            let features = c.head == .perToken ? r.output.reshaped([T * B, D * c.hidden]) : lastStep(r.output)
            let out = head.forward(features)
            let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
            let dFeatures = head.backward(out.trace, gradOutput: ce.gradient)
            let dOutput = c.head == .perToken ? dFeatures.reshaped([T, B, D * c.hidden]) : intoLastStep(dFeatures, T: T)
            let dx = rnn.backward(r.trace, gradOutput: dOutput).gradInput
            embedding.backward(e.trace, gradOutput: dx)
            GradientClipping.clipByGlobalNorm(parameters.map(\.parameter), maxNorm: 5)
            adam.step()
        }
        let perStep = timed(seconds: seconds, warmup: 2, step)
        return Result(config: c.name, mode: "train", milliseconds: perStep * 1000, tokensPerSecond: Double(T * B) / perStep,
                      gflops: c.trainingFlops / perStep / 1e9, peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
    }

    /// `[T, B, F]` -> the last step, `[B, F]`.
    static func lastStep(_ x: Tensor) -> Tensor {
        let T = x.shape[0], n = x.shape[1] * x.shape[2]
        return Tensor(shape: [x.shape[1], x.shape[2]], scalars: Array(x.scalars[((T - 1) * n)...]))
    }

    /// `[B, F]` -> `[T, B, F]`, zero except the last step.
    static func intoLastStep(_ g: Tensor, T: Int) -> Tensor {
        var out = Tensor.zeros([T] + g.shape)
        out.scalars.replaceSubrange(((T - 1) * g.count)..<(T * g.count), with: g.scalars)
        return out
    }

    static func generate(_ c: BenchmarkConfig, seconds: Double) -> Result {
        var rng = SeededRNG(seed: 1)
        let vocabulary = Vocabulary(tokens: (0..<c.vocabulary).map { "t\($0)" })
        let config = LanguageModelConfig(level: .char, cell: c.cell, vocabularySize: c.vocabulary, embeddingSize: c.embedding,
                                         hiddenSize: c.hidden, layers: c.layers, dropout: 0)
        let model = LanguageModel(config: config, vocabulary: vocabulary, rng: &rng)
        let generator = TokenGenerator(model)
        var token = 0
        let options = SamplingOptions()
        let perToken = timed(seconds: seconds, warmup: 50) {
            token = model.pick(generator.next(token), options, &rng)
        }
        let G = Double(c.cell.gateCount), H = Double(c.hidden)
        var flops = 2 * H * Double(c.vocabulary)
        for l in 0..<c.layers { flops += 2 * G * H * (Double(l == 0 ? c.embedding : c.hidden) + H) }
        return Result(config: c.name, mode: "generate", milliseconds: perToken * 1000, tokensPerSecond: 1 / perToken,
                      gflops: flops / perToken / 1e9, peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
    }

    /// Seconds per call of `body`: `warmup` untimed calls, then batches until `seconds` have passed.
    static func timed(seconds: Double, warmup: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds || calls < 3
        return elapsed / Double(calls)
    }
}
