import Recurrent
import Foundation

/// A named benchmark, shared with Scripts/bench_pytorch.py so the two can be
/// compared side by side.
package struct BenchmarkConfig: Sendable {
    package enum Mode: String, Sendable { case train, generate, gemm, translate, beam }
    /// How a training config reads out the recurrent output.
    package enum Head: String, Sendable {
        /// Every step predicts the next token (a language model).
        case perToken = "per-token"
        /// The last step's output predicts one of 2 classes (a classifier).
        case lastStep = "last-step"
    }

    package var name: String
    package var mode: Mode
    package var cell: CellKind = .lstm
    package var layers = 1
    package var bidirectional = false
    package var vocabulary = 65
    package var embedding = 64
    package var hidden = 256
    package var batch = 1
    package var seq = 1
    package var head: Head = .perToken
    /// Numeric input: `embedding` values per step drawn at random, no embedding layer
    /// (numeric-sequence classification); `vocabulary` is then unused.
    package var dense = false
    /// Square GEMM size (gemm mode).
    package var size = 0

    package static let all: [BenchmarkConfig] = [
        train("charlm-lstm-2x256", .lstm, layers: 2, vocabulary: 65, embedding: 64, hidden: 256, batch: 32, seq: 64),
        train("charlm-gru-2x256", .gru, layers: 2, vocabulary: 65, embedding: 64, hidden: 256, batch: 32, seq: 64),
        train("charlm-rnn-2x256", .rnnTanh, layers: 2, vocabulary: 65, embedding: 64, hidden: 256, batch: 32, seq: 64),
        train("wordlm-lstm-2x200", .lstm, layers: 2, vocabulary: 10000, embedding: 200, hidden: 200, batch: 20, seq: 20),
        train("classify-bilstm-1x128", .lstm, layers: 1, bidirectional: true, vocabulary: 20000, embedding: 100, hidden: 128,
              batch: 64, seq: 40, head: .lastStep),
        // JapaneseVowels' shape: 12 channels, up to 29 steps; the numeric classifier's recurrent stack.
        BenchmarkConfig(name: "classify-ts-bilstm-2x64", mode: .train, cell: .lstm, layers: 2, bidirectional: true, vocabulary: 0,
                        embedding: 12, hidden: 64, batch: 16, seq: 29, head: .lastStep, dense: true),
        train("big-lstm-1x1024", .lstm, layers: 1, vocabulary: 1000, embedding: 512, hidden: 1024, batch: 64, seq: 50),
        // Seq2Seq with general attention: source and target vocabularies of `vocabulary`,
        // `seq` source words and `seq` target tokens (with <eos>) per sentence pair.
        BenchmarkConfig(name: "translate-gru-256", mode: .translate, cell: .gru, layers: 1, bidirectional: true, vocabulary: 8000,
                        embedding: 256, hidden: 256, batch: 64, seq: 16),
        // Beam search of width 5 with the same model: `batch` source sentences of `seq` words (with <eos>)
        // decoded together, every hypothesis to the full length (`seq - 1 + 5` words), as `rnn translate` does.
        BenchmarkConfig(name: "beam5-gru-256", mode: .beam, cell: .gru, layers: 1, bidirectional: true, vocabulary: 8000,
                        embedding: 256, hidden: 256, batch: 64, seq: 16),
        generate("generate-lstm-2x512", layers: 2, hidden: 512),
        generate("generate-lstm-1x128", layers: 1, hidden: 128),
        BenchmarkConfig(name: "sgemm-1024", mode: .gemm, size: 1024),
        BenchmarkConfig(name: "sgemm-2048", mode: .gemm, size: 2048),
    ]

    static func train(_ name: String, _ cell: CellKind, layers: Int, bidirectional: Bool = false, vocabulary: Int, embedding: Int,
                      hidden: Int, batch: Int, seq: Int, head: Head = .perToken) -> BenchmarkConfig {
        BenchmarkConfig(name: name, mode: .train, cell: cell, layers: layers, bidirectional: bidirectional, vocabulary: vocabulary,
                        embedding: embedding, hidden: hidden, batch: batch, seq: seq, head: head)
    }

    static func generate(_ name: String, layers: Int, hidden: Int) -> BenchmarkConfig {
        BenchmarkConfig(name: name, mode: .generate, cell: .lstm, layers: layers, vocabulary: 65, embedding: 64, hidden: hidden)
    }

    package static func named(_ name: String) -> BenchmarkConfig? { all.first { $0.name == name } }

    /// Floating-point operations of one training step, counted as the PyTorch
    /// script counts them: 3 x (the recurrent GEMMs + the output layer), for
    /// forward, input gradient and weight gradient.
    package var trainingFlops: Double {
        if mode == .translate { return translationFlops }
        let G = Double(cell.gateCount), H = Double(hidden), D = bidirectional ? 2.0 : 1.0
        var recurrent = 0.0
        for l in 0..<layers {
            let I = Double(l == 0 ? embedding : Int(D) * hidden)
            recurrent += D * 2 * Double(batch * seq) * (I * G * H + H * G * H)
        }
        let output = head == .perToken ? 2 * Double(batch * seq) * D * H * Double(vocabulary) : 2 * Double(batch) * D * H * 2
        return 3 * (recurrent + output)
    }

    /// As ``trainingFlops`` for a translate config: the bidirectional encoder over
    /// `seq` source words, the decoder over `seq` target tokens, general attention
    /// (key projection, scores, context), the combine layer and the output layer.
    var translationFlops: Double {
        let G = Double(cell.gateCount), H = Double(hidden), E = Double(embedding), BT = Double(batch * seq), S = Double(seq)
        let encoder = 2 * 2 * BT * (E * G * H + H * G * H)
        let decoder = 2 * BT * (E * G * H + H * G * H)
        let attention = 2 * BT * 2 * H * H + 2 * BT * S * H + 2 * BT * S * 2 * H
        let output = 2 * BT * 3 * H * H + 2 * BT * H * Double(vocabulary)
        return 3 * (encoder + decoder + attention + output)
    }

    /// The beam width of a beam config.
    package static let beamWidth = 5

    /// The words each hypothesis of a beam config decodes: the source's words and 5.
    package var beamLength: Int { seq - 1 + 5 }

    /// Floating-point operations of one beam config's batch: the encoder and the
    /// key projection once, then per step and hypothesis the decoder cell, the
    /// general attention's scores and context, the combine layer and the output layer.
    package var beamFlops: Double {
        let G = Double(cell.gateCount), H = Double(hidden), E = Double(embedding), S = Double(seq), B = Double(batch)
        let encoder = 2 * 2 * B * S * (E * G * H + H * G * H) + 2 * B * S * 2 * H * H
        let perHypothesisStep = 2 * (E * G * H + H * G * H) + 2 * S * 2 * H * 2 + 2 * 3 * H * H + 2 * H * Double(vocabulary)
        return encoder + B * Double(Self.beamWidth * beamLength) * perHypothesisStep
    }

    /// The peak resident set size of this process so far, in MB (Linux; 0 elsewhere).
    package static var peakRSSMegabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
