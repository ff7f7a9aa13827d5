import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn translate`: sentences in, translations out, one line per line.
    struct Translate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Translate sentences with a model from `rnn train translate` (a file or standard input, one sentence per line).",
            discussion: """
            Examples:
              rnn translate --model de-en.safetensors --input test.de > test.hyp.en
              echo "Ein Hund rennt im Schnee." | \\
                  rnn translate --model de-en.safetensors --beam 5 --n-best 3
              rnn translate --model de-en.safetensors --input test.de \\
                  --attention first.html --sentence 1
            """)

        @OptionGroup var modelFile: ModelFileOption
        @OptionGroup var threads: ThreadsOption
        @Option(help: "Sentences to translate, one per line (default: standard input).")
        var input: String?
        @OptionGroup var decoding: DecodingArguments
        @Option(help: "Print the K best translations of each sentence as 'LINE ||| translation ||| score'.")
        var nBest = 1
        @Option(help: "Sentences decoded together.")
        var batch = 64
        @Option(help: "Input sentences longer than this many words are cut (and reported).")
        var maxWords = 80
        @Option(help: "Write the attention of one sentence's translation as an HTML heatmap to this file.")
        var attention: String?
        @Option(help: "Which input line --attention draws (1-based).")
        var sentence = 1

        func validate() throws {
            guard nBest >= 1 && nBest <= decoding.beam else {
                throw ValidationError("--n-best must lie in 1...\(decoding.beam) (the beam width), got \(nBest)")
            }
            try Check.count(batch, "--batch", in: 1...1_000)
            try Check.count(maxWords, "--max-words", in: 1...100_000)
            try Check.count(sentence, "--sentence", in: 1...Int.max)
            if let attention, attention == modelFile.path || attention == input {
                throw ValidationError("--attention \(attention) would overwrite an input; choose another file")
            }
        }

        func run() throws {
            try userFacing {
                let m = try Seq2Seq(checkpoint: try Checkpoint.read(modelFile.path))
                let name = input == nil || input == "-" ? StandardInput.name : input!
                var lines = try StandardInput.text(name).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.last == "" { lines.removeLast() }
                let words = lines.enumerated().map { i, line -> [String] in
                    let w = TranslationText.words(line, lowercase: m.config.lowercase)
                    if w.count > maxWords {
                        FileHandle.standardError.write("\(name):\(i + 1): \(w.count) words, cut to the first \(maxWords) (--max-words)\n".data(using: .utf8)!)
                    }
                    return Array(w.prefix(maxWords))
                }
                let options = decoding.options(nBest: nBest, batch: batch)
                let nonEmpty = words.indices.filter { !words[$0].isEmpty }
                let found = m.translate(nonEmpty.map { words[$0] }, options: options)
                var results = [[(words: [String], score: Double)]](repeating: [([], 0)], count: lines.count)
                for (k, i) in nonEmpty.enumerated() { results[i] = found[k] }
                for (i, hs) in results.enumerated() {
                    if nBest == 1 {
                        print(TranslationText.detokenize(hs.first?.words ?? []))
                    } else {
                        for h in hs { print("\(i + 1) ||| \(TranslationText.detokenize(h.words)) ||| \(String(format: "%.4f", h.score))") }
                    }
                }
                if let attention { try writeAttention(attention, m, words: words, results: results, name: name) }
            }
        }

        func writeAttention(_ path: String, _ m: Seq2Seq, words: [[String]], results: [[(words: [String], score: Double)]], name: String) throws {
            guard sentence <= words.count else {
                throw UserFacingError(description: "\(name): --sentence \(sentence), but the input has \(words.count) lines")
            }
            let source = words[sentence - 1], target = results[sentence - 1].first?.words ?? []
            guard !source.isEmpty else { throw UserFacingError(description: "\(name):\(sentence): the line is empty; nothing to draw") }
            let rows = m.alignment(source: source, target: target)
            let title = "\(name):\(sentence) attention"
            let heatmap = Heatmap(title: title, values: rows.map { $0.map(Double.init) }, rowLabels: m.units(target) + [Vocabulary.endOfSentence],
                                  columnLabels: m.units(source) + [Vocabulary.endOfSentence], valueLabel: "attention weight")
            var page = HTMLPage(title: title)
            page.section("Attention of line \(sentence)",
                         "Rows: the translation's words (or subword pieces); columns: the source's. Each row is the attention weights (summing to 1) of the decoder step that wrote that word.",
                         heatmap.svg)
            try page.write(to: path, inputs: [("--model", modelFile.path)] + (input.map { [("--input", $0)] } ?? []))
            FileHandle.standardError.write("wrote the attention of line \(sentence) to \(path)\n".data(using: .utf8)!)
        }
    }
}
