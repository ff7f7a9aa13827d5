import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn evaluate`: loss of a model on a data file.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on a data file: loss and bits per character (char) or perplexity (word).")

        @Option(help: "A checkpoint written by `rnn train`.")
        var model: String
        @Option(help: "A file path or data set name (NAME/FILE picks a file of a set, e.g. wikitext-2/wiki.test.tokens).")
        var data: String
        @Option(help: "Steps per batch.")
        var seq = 64
        @Option(help: "Parallel streams.")
        var batch = 16
        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            try userFacing {
                let lm = try LanguageModel(contentsOf: model)
                let path = try DataCatalog.resolve(data)
                let text = try TextFile.read(path)
                var line = 1
                let ids = try lm.config.level.tokens(text).map { token -> Int in
                    guard let id = lm.vocabulary.idOrUnknown(token) else {
                        throw DataError.malformed(path: path, line: line, expected: "tokens the model knows", found: token.debugDescription)
                    }
                    if token == "\n" || token == Vocabulary.endOfSentence { line += 1 }
                    return id
                }
                let b = max(1, min(batch, ids.count / (seq + 1)))
                let stream = TokenStream(ids: ids, batchSize: b, sequenceLength: seq)
                guard stream.batchCount > 0 else { throw DataError.tooShort(path: path, tokens: ids.count, needed: 2) }
                let r = lm.evaluate(stream)
                if json {
                    print(#"{"loss":\#(r.loss),"tokens":\#(r.tokens),"\#(lm.config.level == .char ? "bits_per_char" : "perplexity")":\#(lm.config.level == .char ? r.loss / log(2.0) : exp(r.loss))}"#)
                } else if lm.config.level == .char {
                    print(String(format: "%@: loss %.4f nats/char, %.4f bits/char over %d characters", path, r.loss, r.loss / log(2.0), r.tokens))
                } else {
                    print(String(format: "%@: loss %.4f nats/word, perplexity %.2f over %d words", path, r.loss, exp(r.loss), r.tokens))
                }
            }
        }
    }

    /// `rnn inspect`: what a checkpoint holds.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a checkpoint's kind, configuration and tensors.")

        @Option(help: "A checkpoint file.")
        var model: String

        func run() throws {
            try userFacing {
                let ck = try Checkpoint.read(model)
                print("kind: \(ck.kind)")
                print("config: \(ck.config)")
                if let v = ck.vocabulary { print("vocabulary: \(v.count) tokens") }
                for key in ck.metadata.keys.sorted() where !["kind", "config", "vocabulary", "training_state"].contains(key) {
                    print("\(key): \(ck.metadata[key]!)")
                }
                var total = 0
                for name in ck.tensors.keys.sorted() {
                    let t = ck.tensors[name]!
                    total += t.count
                    print("  \(name) \(t.shape)")
                }
                print("\(total) values in \(ck.tensors.count) tensors")
            }
        }
    }
}
