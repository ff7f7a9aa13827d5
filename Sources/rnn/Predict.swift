import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn predict`: label or tag each input line.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify or tag each line of a file, a text given as an argument, or standard input, with a trained model.",
            discussion: """
            The input is a file that exists, a data set file (NAME/FILE, as `train` and `evaluate` take), - \
            (or nothing) for standard input, or else a text: a bare data set name (names) is a text. A TSV/CSV/JSONL file is read as `evaluate` reads it (its text column).
            A classifier prints, per input line, the --top labels with their probabilities and then the text, \
            tab-separated: always 2 x K + 1 columns (K = --top, at most the number of labels); --json prints \
            one object per line. A tagger splits punctuation off words and prints word/TAG per word; given a \
            .conllu file it writes the file back in CoNLL-U with the predicted tags in its tag column (--conllu \
            writes CoNLL-U for plain text too). Blank lines give empty results in the same place.
            A numeric-sequence classifier reads a .ts file, a UCR/UEA folder (its test file) or a numeric CSV \
            and prints the label, its probability and file:line per sequence.
            Examples:
              rnn predict --model names.safetensors "Tanaka"
              rnn predict --model sst2.safetensors --json --top 2 reviews.txt
              rnn predict --model upos.safetensors ud-english-ewt/en_ewt-ud-test.conllu \\
                  > tagged.conllu
            """)

        @OptionGroup var modelFile: ModelFileOption
        @Argument(help: "A file with one input per line, a data set file (NAME/FILE, a bare NAME is a text), a text to classify or tag, or - for standard input (the default).")
        var input: String?
        @Option(help: "Classifier: print the K most likely labels (a tagger refuses any K but 1).")
        var top = 1
        @OptionGroup var output: JSONOption
        @Flag(help: "Tagger: write CoNLL-U (one word per line, the tag in the model's column) for plain-text input too.")
        var conllu = false
        @OptionGroup var textData: TextDataOptions
        @OptionGroup var series: SeriesFormatOptions
        @OptionGroup var threads: ThreadsOption

        func validate() throws {
            try Check.count(top, "--top", in: 1...Int.max)
            if conllu && output.json { throw ValidationError("give --conllu or --json, not both") }
        }

        /// The lines to predict (blank ones kept, as empty strings) and the name of where they came from.
        enum Source {
            case file(String)
            case text(String)
        }

        /// A file (or data set file, or standard input) when `input` names one; otherwise the argument is the text itself.
        /// A data set is read only through one of its files (NAME/FILE, with the slash): a bare word is a text even
        /// when a data set has that name (`rnn predict --model M names` classifies the word "names").
        func source() throws -> Source {
            guard let input, input != "-" else { return .file(StandardInput.name) }
            if FileManager.default.fileExists(atPath: input) { return .file(input) }
            let parts = input.split(separator: "/", maxSplits: 1)
            if parts.count == 2, DataCatalog.entry(String(parts[0])) != nil { return .file(try DataCatalog.resolve(input)) }
            // Something that looks like a path but is not there is a mistake, not a text.
            let looksLikePath = !input.contains(" ") && (input.contains("/") || [".txt", ".tsv", ".csv", ".jsonl", ".conllu", ".ts"].contains { input.lowercased().hasSuffix($0) })
            if looksLikePath { throw DataError.notFound(path: input) }
            return .text(input)
        }

        func run() throws {
            try userFacing {
                let checkpoint = try Checkpoint.read(modelFile.path)
                try refuseOptionsTheModelDoesNotRead(checkpoint.kind)
                let source = try source()
                switch checkpoint.kind {
                case NumericSequenceClassifier.kind:
                    guard case .file(let path) = source, path != StandardInput.name else {
                        throw UsageError(description: "a numeric-sequence classifier reads a file: give its path")
                    }
                    try predictNumeric(try NumericSequenceClassifier(checkpoint: checkpoint), path)
                case SequenceClassifier.kind:
                    let classifier = try SequenceClassifier(checkpoint: checkpoint)
                    let input = try textLines(source, delimitedAllowed: true)
                    try printClassified(classifier, lines: input.lines, numbers: input.numbers)
                case SequenceTagger.kind:
                    guard top == 1 else { throw UsageError(description: "--top \(top): a tagger gives one tag per word; drop --top") }
                    let tagger = try SequenceTagger(checkpoint: checkpoint)
                    if case .file(let path) = source, path.lowercased().hasSuffix(".conllu") { return try tagCoNLLU(tagger, path) }
                    let input = try textLines(source, delimitedAllowed: false)
                    try printTagged(tagger, lines: input.lines, numbers: input.numbers)
                default:
                    throw CheckpointError.wrongKind(path: modelFile.path, found: checkpoint.kind, expected: "sequence classifier or sequence tagger")
                }
            }
        }

        /// Options read for one kind of model only are refused for the others, not ignored.
        func refuseOptionsTheModelDoesNotRead(_ kind: String) throws {
            let holds = "\(modelFile.path) holds a \(kind.replacingOccurrences(of: "_", with: " "))"
            if conllu && kind != SequenceTagger.kind { throw UsageError(description: "--conllu writes a tagger's output; \(holds)") }
            if kind != NumericSequenceClassifier.kind && (series.idColumn != nil || series.numeric) {
                throw UsageError(description: "--id-column and --numeric read numeric sequences; \(holds)")
            }
            if kind == NumericSequenceClassifier.kind && (textData.strict || textData.delimiter != nil || textData.textColumn != nil) {
                throw UsageError(description: "--strict, --delimiter and --text-column read text; \(holds)")
            }
        }

        /// The input lines, blank lines kept as "" so results stay in step with the input. A delimited or JSON Lines
        /// file gives its text column (rows with an empty text skipped and counted, or refused with --strict).
        func textLines(_ source: Source, delimitedAllowed: Bool) throws -> (name: String, lines: [String], numbers: [Int]) {
            switch source {
            case .text(let text):
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                return ("the argument", lines, lines.indices.map { $0 + 1 })
            case .file(let path):
                let content = try StandardInput.text(path)
                let lower = path.lowercased()
                if delimitedAllowed && ([".tsv", ".csv", ".jsonl", ".ndjson"].contains { lower.hasSuffix($0) } || textData.textColumn != nil
                                        || JSONLines.isJSONLines(content, path: path) || Self.hasTextHeader(content, path: path, delimiter: textData.delimiter?.character)) {
                    let rows = try ClassificationData.rows(text: content, path: path, textColumn: textData.textColumn, labelColumn: textData.labelColumn,
                                                           requireLabels: false, delimiter: textData.delimiter?.character, skipEmptyText: !textData.strict)
                    if let note = TextDataOptions.skippedNote(path, lines: rows.emptyTextLines) { warn(note) }
                    return (path, rows.examples.map(\.text), rows.examples.map(\.line))
                }
                var lines = content.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if lines.last == "" { lines.removeLast() }
                let blank = lines.indices.filter { lines[$0].isEmpty }.map { $0 + 1 }
                if textData.strict, let first = blank.first {
                    throw DataError.malformed(path: path, line: first, expected: "a non-empty line (--strict)", found: "a blank line")
                }
                if let note = TextDataOptions.skippedNote(path, lines: blank, what: "blank line(s) given empty results") { warn(note) }
                return (path, lines, lines.indices.map { $0 + 1 })
            }
        }

        /// `numbers[i]` is the line of the input `lines[i]` came from (JSON's "line").
        /// Whether the first line is a header naming a text column (`text`, `sentence`, ...), split by the sniffed
        /// separator: such a file is a table whatever its extension, and its header is not an input.
        static func hasTextHeader(_ content: String, path: String, delimiter: Character?) -> Bool {
            let separator = delimiter ?? DelimitedFile.sniffSeparator(content, path: path)
            let header = content.prefix { $0 != "\n" }.split(separator: separator, omittingEmptySubsequences: false)
            return header.count >= 2 && header.contains { ClassificationData.textNames.contains($0.trimmingCharacters(in: .whitespaces).lowercased()) }
        }

        func printClassified(_ classifier: SequenceClassifier, lines: [String], numbers: [Int]) throws {
            let labels = classifier.config.labels
            let k = min(top, labels.count)
            if top > labels.count { warn("--top \(top): the model has \(labels.count) labels; printing \(k)") }
            let filled = lines.indices.filter { !lines[$0].isEmpty }
            var probabilities = [[Float]?](repeating: nil, count: lines.count)
            for (i, p) in zip(filled, classifier.predict(filled.map { lines[$0] })) { probabilities[i] = p }
            for (i, line) in lines.enumerated() {
                let ranked = probabilities[i].map { p in Array(p.indices.sorted { p[$0] > p[$1] }.prefix(k)).map { (labels[$0], p[$0]) } } ?? []
                if output.json {
                    var object: [String: Any] = ["line": numbers[i], "text": line,
                                                 "top": ranked.map { ["label": $0.0, "probability": rounded($0.1)] as [String: Any] }]
                    object["label"] = ranked.first?.0 ?? NSNull()
                    object["probability"] = ranked.first.map { rounded($0.1) } ?? NSNull()
                    print(try jsonLine(object))
                } else {
                    let pairs = ranked.map { String(format: "%@\t%.4f", $0.0, Double($0.1)) } + Array(repeating: "\t", count: k - ranked.count)
                    print((pairs + [line]).joined(separator: "\t"))
                }
            }
        }

        func printTagged(_ tagger: SequenceTagger, lines: [String], numbers: [Int]) throws {
            let sentences = lines.map { TextTokenizer.word.tokens($0) }
            let filled = sentences.indices.filter { !sentences[$0].isEmpty }
            var tags = [[String]](repeating: [], count: sentences.count)
            for (i, t) in zip(filled, tagger.predict(filled.map { sentences[$0] })) { tags[i] = t }
            if conllu {
                let rows = sentences.indices.map { i in (words: sentences[i], tags: tags[i]) }.filter { !$0.words.isEmpty }
                print(CoNLLU.document(rows, column: tagger.config.column), terminator: "")
                return
            }
            for (i, words) in sentences.enumerated() {
                if output.json {
                    print(try jsonLine(["line": numbers[i], "words": words, "tags": tags[i]]))
                } else {
                    print(zip(words, tags[i]).map { "\($0)/\($1)" }.joined(separator: " "))
                }
            }
        }

        /// A CoNLL-U file tagged: written back with the predicted tags in the model's tag column (or one JSON object per sentence).
        func tagCoNLLU(_ tagger: SequenceTagger, _ path: String) throws {
            let text = try StandardInput.text(path)
            let sentences = try CoNLLU.sentences(text, path: path, column: tagger.config.column)
            let tags = tagger.predict(sentences.map(\.words))
            if output.json {
                for (s, t) in zip(sentences, tags) { print(try jsonLine(["line": s.line, "words": s.words, "tags": t])) }
                return
            }
            print(try CoNLLU.replacingTags(in: text, path: path, with: tags, column: tagger.config.column), terminator: "")
        }

        func predictNumeric(_ classifier: NumericSequenceClassifier, _ path: String) throws {
            let cases = try series.read(path, labelColumn: textData.labelColumn, test: true).cases
            let k = min(top, classifier.labels.count)
            for (c, probs) in zip(cases, classifier.probabilities(try cases.map(classifier.encode))) {
                let ranked = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k)
                if output.json {
                    print(try jsonLine(["path": c.path, "line": c.line, "label": classifier.labels[ranked.first!], "probability": rounded(probs[ranked.first!]),
                                        "top": ranked.map { ["label": classifier.labels[$0], "probability": rounded(probs[$0])] as [String: Any] }]))
                } else {
                    print(ranked.map { String(format: "%@\t%.4f", classifier.labels[$0], probs[$0]) }.joined(separator: "\t") + "\t\(c.path):\(c.line)")
                }
            }
        }
    }
}

/// A probability with 6 decimals, as JSON shows it (not a Float's binary expansion).
func rounded(_ p: Float) -> Double { (Double(p) * 1e6).rounded() / 1e6 }

/// `object` as one line of JSON with sorted keys.
func jsonLine(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
