import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn predict`: label or tag each input line.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify or tag each line of a file (or standard input) with a trained model.",
            discussion: "A classifier prints the label and its probability per line; a tagger prints word/TAG per word.")

        @Option(help: "A classifier or tagger checkpoint.")
        var model: String
        @Argument(help: "A file with one input per line (default: standard input).")
        var file: String?
        @Option(help: "Classifier: also print the K most likely labels.")
        var top = 1

        func validate() throws { try Check.count(top, "--top", in: 1...Int.max) }

        func run() throws {
            try userFacing {
                let checkpoint = try Checkpoint.read(model)
                let text: String
                if let file { text = try TextFile.read(file) } else {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                }
                let lines = text.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                switch checkpoint.kind {
                case SequenceClassifier.kind:
                    let classifier = try SequenceClassifier(checkpoint: checkpoint)
                    for (line, probs) in zip(lines, classifier.predict(lines)) {
                        let ranked = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(top)
                        print(ranked.map { String(format: "%@\t%.4f", classifier.config.labels[$0], probs[$0]) }.joined(separator: "\t") + "\t" + line)
                    }
                case SequenceTagger.kind:
                    let tagger = try SequenceTagger(checkpoint: checkpoint)
                    let sentences = lines.map { $0.split(separator: " ").map(String.init) }
                    for (words, tags) in zip(sentences, tagger.predict(sentences)) {
                        print(zip(words, tags).map { "\($0)/\($1)" }.joined(separator: " "))
                    }
                default:
                    throw CheckpointError.wrongKind(path: model, found: checkpoint.kind, expected: "sequence classifier or sequence tagger")
                }
            }
        }
    }
}
