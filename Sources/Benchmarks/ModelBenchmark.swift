import Recurrent
import Foundation

/// The distribution of repeated timings: median and spread.
package struct TimingSummary: Sendable {
    package var min: Double, p10: Double, median: Double, p90: Double, max: Double, mean: Double
    package var count: Int

    /// Summarises `times` (at least one).
    package init(_ times: [Double]) {
        let sorted = times.sorted()
        let n = sorted.count
        func quantile(_ q: Double) -> Double {
            guard n > 0 else { return .nan }
            let x = q * Double(n - 1), i = Int(x), f = x - Double(i)
            return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i]
        }
        min = sorted.first ?? .nan
        max = sorted.last ?? .nan
        p10 = quantile(0.1)
        median = quantile(0.5)
        p90 = quantile(0.9)
        mean = n > 0 ? sorted.reduce(0, +) / Double(n) : .nan
        count = n
    }

    /// The same summary in another unit.
    func scaled(by factor: Double) -> TimingSummary {
        var s = self
        s.min *= factor; s.p10 *= factor; s.median *= factor; s.p90 *= factor; s.max *= factor; s.mean *= factor
        return s
    }
}

/// Times the real code paths on random data: one full training step, or one
/// generated token at batch 1.
package enum ModelBenchmark {
    package struct Result: Sendable {
        package var config: String
        package var mode: String
        /// Milliseconds per training step or generated token: the median of the timed repetitions.
        package var milliseconds: Double
        /// The spread of the per-step (per-token) times, in milliseconds.
        package var spread: TimingSummary
        /// Tokens per second at the median (sentences per second for a beam config).
        package var tokensPerSecond: Double
        package var gflops: Double
        package var peakRSSMegabytes: Double

        /// One JSON object, the fields Scripts/bench_pytorch.py prints too: the
        /// median time (`step_ms`, or `token_us` for generation), throughput at
        /// the median, and the spread of the repetitions in the same unit.
        package var json: String {
            let (key, scale) = mode == "generate" ? ("token_us", 1000.0) : (mode == "gemm" ? "ms" : (mode == "beam" ? "batch_ms" : "step_ms"), 1.0)
            let rateKey = mode == "beam" ? "sentences_per_s" : "tokens_per_s"
            let spreadJSON = String(format: "{\"min\":%.4f,\"p10\":%.4f,\"median\":%.4f,\"p90\":%.4f,\"max\":%.4f,\"mean\":%.4f,\"n\":%d}",
                                    spread.min * scale, spread.p10 * scale, spread.median * scale, spread.p90 * scale,
                                    spread.max * scale, spread.mean * scale, spread.count)
            return String(format: "{\"config\":\"%@\",\"mode\":\"%@\",\"%@\":%.4f,\"spread\":%@,\"%@\":%.1f,\"gflops\":%.2f,\"peak_rss_mb\":%.1f,\"impl\":\"recurrent\",\"precision\":\"%@\",\"gemm\":\"%@\",\"threads\":%d}",
                          config, mode, key, milliseconds * scale, spreadJSON, rateKey, tokensPerSecond, gflops, peakRSSMegabytes,
                          Precision.current.rawValue, GEMMBackend.inUse, Threads.count)
        }
    }

    /// Runs `config`: warm-up, then timed repetitions for at least `seconds`.
    package static func run(_ config: BenchmarkConfig, seconds: Double = 3) -> Result {
        switch config.mode {
        case .train: return train(config, seconds: seconds)
        case .generate: return generate(config, seconds: seconds)
        case .translate: return translate(config, seconds: seconds)
        case .beam: return beam(config, seconds: seconds)
        case .gemm:
            let r = GEMMBenchmark.run(size: config.size, backend: nil, minSeconds: seconds / 2)
            return Result(config: config.name, mode: "gemm", milliseconds: r.seconds * 1000,
                          spread: TimingSummary(r.times.map { $0 * 1000 }), tokensPerSecond: 0, gflops: r.gflops,
                          peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
        }
    }

    static func train(_ c: BenchmarkConfig, seconds: Double) -> Result {
        var rng = SeededRNG(seed: 1)
        let T = c.seq, B = c.batch, D = c.bidirectional ? 2 : 1
        let embedding = Embedding(vocabularySize: max(c.vocabulary, 1), embeddingSize: c.embedding, rng: &rng)
        let rnn = RecurrentLayer(cell: c.cell, inputSize: c.embedding, hiddenSize: c.hidden, layers: c.layers,
                                 bidirectional: c.bidirectional, rng: &rng)
        let classes = c.head == .perToken ? c.vocabulary : 2
        let head = Linear(inputSize: D * c.hidden, outputSize: classes, rng: &rng)
        let parameters = (c.dense ? [] : prefixed("embedding", embedding)) + prefixed("rnn", rnn) + prefixed("head", head)
        var adam = Adam(parameters: parameters, learningRate: 1e-3)
        let inputs = c.dense ? [] : (0..<(T * B)).map { _ in rng.nextInt(below: c.vocabulary) }
        let targets = (0..<(c.head == .perToken ? T * B : B)).map { _ in rng.nextInt(below: classes) }
        let values = c.dense ? Tensor.normal([T, B, c.embedding], rng: &rng) : Tensor.zeros([0])

        func step() {
            Parameter.zeroGradients(parameters.map(\.parameter))
            let e = c.dense ? nil : embedding.forward(ids: inputs, shape: [T, B])
            let r = rnn.forward(e?.output ?? values)
            let features = c.head == .perToken ? r.output.reshaped([T * B, D * c.hidden]) : lastStep(r.output)
            let out = head.forward(features)
            let ce = CrossEntropy.lossAndGradient(logits: out.output, targets: targets)
            let dFeatures = head.backward(out.trace, gradOutput: ce.gradient)
            let dOutput = c.head == .perToken ? dFeatures.reshaped([T, B, D * c.hidden]) : intoLastStep(dFeatures, T: T)
            let dx = rnn.backward(r.trace, gradOutput: dOutput).gradInput
            if let e { embedding.backward(e.trace, gradOutput: dx) }
            GradientClipping.clipByGlobalNorm(parameters.map(\.parameter), maxNorm: 5)
            adam.step()
        }
        let times = timed(seconds: seconds, warmup: 2, step)
        let perStep = times.median
        return Result(config: c.name, mode: "train", milliseconds: perStep * 1000, spread: times.scaled(by: 1000),
                      tokensPerSecond: Double(T * B) / perStep,
                      gflops: c.trainingFlops / perStep / 1e9, peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
    }

    /// The ``Seq2Seq`` of a translate or beam config: general attention, random weights, words `w4`, `w5`, ...
    static func seq2seq(_ c: BenchmarkConfig, rng: inout SeededRNG) -> Seq2Seq {
        let words = Vocabulary(tokens: Seq2Seq.specials + (4..<c.vocabulary).map { "w\($0)" })
        let config = Seq2SeqConfig(cell: c.cell, lowercase: false, sourceVocabularySize: c.vocabulary, targetVocabularySize: c.vocabulary,
                                   embeddingSize: c.embedding, encoderHiddenSize: c.hidden, encoderLayers: c.layers,
                                   decoderHiddenSize: c.hidden, decoderLayers: c.layers, attention: .general, attentionSize: 0,
                                   inputFeeding: false, dropout: 0)
        return Seq2Seq(config: config, source: words, target: words, rng: &rng)
    }

    /// One batch of beam search (``BenchmarkConfig/beamWidth``) through `rnn translate`'s decoding path.
    static func beam(_ c: BenchmarkConfig, seconds: Double) -> Result {
        var rng = SeededRNG(seed: 1)
        let model = seq2seq(c, rng: &rng)
        // <eos> never wins, so every hypothesis runs the full length, as on the PyTorch side.
        if let bias = model.head.bias { bias.value.scalars[Seq2Seq.eosID] = -1e4 }
        let sentences = (0..<c.batch).map { _ in (0..<(c.seq - 1)).map { _ in model.source.token(4 + rng.nextInt(below: c.vocabulary - 4)) } }
        var options = DecodingOptions()
        options.beam = BenchmarkConfig.beamWidth
        options.maxLengthRatio = 1
        options.maxLengthExtra = c.beamLength - (c.seq - 1)
        options.batch = c.batch
        let times = timed(seconds: seconds, warmup: 1) { _ = model.translate(sentences, options: options) }
        let perBatch = times.median
        return Result(config: c.name, mode: "beam", milliseconds: perBatch * 1000, spread: times.scaled(by: 1000),
                      tokensPerSecond: Double(c.batch) / perBatch,
                      gflops: c.beamFlops / perBatch / 1e9, peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
    }

    /// One training step of a ``Seq2Seq`` (teacher forcing, clipping, Adam) on random sentence pairs.
    static func translate(_ c: BenchmarkConfig, seconds: Double) -> Result {
        var rng = SeededRNG(seed: 1)
        let model = seq2seq(c, rng: &rng)
        var adam = Adam(parameters: model.namedParameters, learningRate: 1e-3)
        let sources = (0..<c.batch).map { _ in (0..<(c.seq - 1)).map { _ in 4 + rng.nextInt(below: c.vocabulary - 4) } + [Seq2Seq.eosID] }
        let targets = (0..<c.batch).map { _ in (0..<(c.seq - 1)).map { _ in 4 + rng.nextInt(below: c.vocabulary - 4) } }
        let times = timed(seconds: seconds, warmup: 2) {
            model.zeroGradients()
            _ = model.loss(sources: sources, targets: targets, training: true, rng: &rng)
            GradientClipping.clipByGlobalNorm(model.parameters, maxNorm: 5)
            adam.step()
        }
        let perStep = times.median
        return Result(config: c.name, mode: "train", milliseconds: perStep * 1000, spread: times.scaled(by: 1000),
                      tokensPerSecond: Double(c.batch * c.seq) / perStep,
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
        // The time between two emitted tokens is one step of the generator and
        // one draw from its distribution; the first 50 tokens warm up.
        var intervals: [Double] = []
        var emitted = 0
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            var last: UInt64? = nil
            model.generate(prime: [0], length: 200, rng: &rng) { _ in
                let now = DispatchTime.now().uptimeNanoseconds
                if let last, emitted >= 50 { intervals.append(Double(now - last) / 1e9) }
                emitted += 1
                last = now
            }
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds || intervals.count < 3
        let times = TimingSummary(intervals)
        let perToken = times.median
        let G = Double(c.cell.gateCount), H = Double(c.hidden)
        var flops = 2 * H * Double(c.vocabulary)
        for l in 0..<c.layers { flops += 2 * G * H * (Double(l == 0 ? c.embedding : c.hidden) + H) }
        return Result(config: c.name, mode: "generate", milliseconds: perToken * 1000, spread: times.scaled(by: 1000),
                      tokensPerSecond: 1 / perToken,
                      gflops: flops / perToken / 1e9, peakRSSMegabytes: BenchmarkConfig.peakRSSMegabytes)
    }

    /// The seconds each call of `body` took: `warmup` untimed calls, then calls
    /// until `seconds` have passed (at least 3).
    static func timed(seconds: Double, warmup: Int, _ body: () -> Void) -> TimingSummary {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        var last = start
        repeat {
            body()
            let now = DispatchTime.now().uptimeNanoseconds
            times.append(Double(now - last) / 1e9)
            last = now
        } while Double(last - start) / 1e9 < seconds || times.count < 3
        return TimingSummary(times)
    }
}
