import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn predict`: label or tag each input line.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify or tag each line of a file (or standard input) with a trained model.",
            discussion: """
            A classifier prints the label and its probability per line; a tagger prints word/TAG per word.
            A numeric-sequence classifier reads a .ts file, a UCR/UEA folder (its test file) or a numeric CSV
            and prints the label, its probability and file:line per sequence.
            """)

        @Option(help: "A classifier or tagger checkpoint.")
        var model: String
        @Argument(help: "A file with one input per line (default: standard input).")
        var file: String?
        @Option(help: "Classifier: also print the K most likely labels.")
        var top = 1
        @OptionGroup var series: SeriesFormatOptions
        @Option(help: "Numeric CSV: the label column, if any (ignored for prediction).")
        var labelColumn: String?

        func validate() throws { try Check.count(top, "--top", in: 1...Int.max) }

        func run() throws {
            try userFacing {
                let checkpoint = try Checkpoint.read(model)
                if checkpoint.kind == NumericSequenceClassifier.kind {
                    guard let file else { throw ValidationError("a numeric-sequence classifier reads a file: give its path") }
                    let classifier = try NumericSequenceClassifier(checkpoint: checkpoint)
                    let cases = try series.read(try DataCatalog.resolve(file), labelColumn: labelColumn, test: true).cases
                    for (c, probs) in zip(cases, classifier.probabilities(try cases.map(classifier.encode))) {
                        let ranked = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(max(1, top))
                        print(ranked.map { String(format: "%@\t%.4f", classifier.labels[$0], probs[$0]) }.joined(separator: "\t") + "\t\(c.path):\(c.line)")
                    }
                    return
                }
                let text: String
                if let file { text = try TextFile.read(file) } else {
                    guard let data = try? FileHandle.standardInput.readToEnd() ?? Data() else {
                        throw UserFacingError(description: "<stdin>: cannot read standard input (closed, or a folder); give the input file as an argument")
                    }
                    guard let decoded = String(data: data, encoding: .utf8) else {
                        throw UserFacingError(description: "<stdin>: invalid UTF-8; expected UTF-8 text (convert with iconv)")
                    }
                    text = decoded
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
