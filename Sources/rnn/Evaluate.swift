import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn evaluate`: loss of a model on a data file.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure any trained model on a data file: language models, classifiers, taggers, generators, translators and forecasters.",
            discussion: """
            A language model: loss and bits per character (char) or perplexity (word); --split valid scores \
            only the part of the text training held out (its last 10%, or the validation file of wikitext-2 and ptb).
            A classifier: accuracy, macro-F1 and the confusion matrix; --split valid (or --held-out F) \
            scores only the stratified part `train classify` held out. A tagger: accuracy per tag.
            A generator: loss per token. A translation model: BLEU, chrF and perplexity (--source, \
            --target). A forecaster: MAE, RMSE, sMAPE and MASE on the held-out values.
            On a terminal a progress line (fraction done, ETA) is redrawn while it runs.
            Examples:
              rnn evaluate --model shakespeare.safetensors --data tinyshakespeare \\
                  --split valid
              rnn evaluate --model sst2.safetensors --data sst2/dev.tsv
              rnn evaluate --model upos.safetensors \\
                  --data ud-english-ewt/en_ewt-ud-test.conllu
            """)

        @OptionGroup var modelFile: ModelFileOption
        @Option(help: "A file path or data set name (NAME/FILE picks a file of a set, e.g. wikitext-2/wiki.test.tokens).")
        var data: String?
        @Option(help: "Which part of --data: all, or the train or valid part of the split training made (language models, classifiers, generators).")
        var split: EvaluationSplit = .all
        @OptionGroup var translation: TranslationEvaluationOptions
        @Option(help: "Steps per batch.")
        var seq = 64
        @Option(help: "Parallel streams.")
        var batch = 16
        @OptionGroup var output: JSONOption
        @OptionGroup var threads: ThreadsOption

        @OptionGroup var textData: TextDataOptions
        @Option(help: "Classifier or generator: the fraction `train classify|generate --valid-split F --seed S` held out; --split valid scores it, --split train the rest (default with --split: 0.1).")
        var heldOut: Double?
        @OptionGroup var seeding: SeedOption
        @Option(help: "Generator: a classifier that checks generated sequences are assigned to the label asked for.")
        var classifier: String?
        @Option(help: "Generator: sampling temperature for the --classifier check.")
        var temperature: Float = 1
        @Option(help: "Captioning generator: the feature file whose rows --data's captions describe.")
        var features: String?
        @OptionGroup var series: SeriesFormatOptions
        @Option(help: "Forecaster: the value column of the series (a header name or 1-based number; default: the column it was trained on, else the last).")
        var column: String?
        @Option(help: "Forecaster: missing values in the series: refuse or carry (last value forward).")
        var missing: MissingValues = .refuse
        @Flag(help: "Forecaster: also score the seasonal-naive forecast (repeat the last season) and a linear trend.")
        var baselines = false

        func validate() throws {
            if let f = heldOut, !(f > 0 && f < 1) { throw ValidationError("--held-out must lie between 0 and 1, got \(f)") }
            if heldOut != nil && split == .train { throw ValidationError("--held-out scores the held-out part; drop it, or use --split valid") }
            try Check.count(seq, "--seq", in: 1...Int.max)
            try Check.count(batch, "--batch", in: 1...Int.max)
            try Check.positive(temperature, "--temperature")
            if (data == nil) == (translation.source == nil) {
                throw ValidationError("give --data FILE, or --source FILE --target FILE for a translation model")
            }
        }

        func run() throws {
            try userFacing {
                let checkpoint = try Checkpoint.read(modelFile.path)
                if translation.source != nil { return try translation.evaluate(try Seq2Seq(checkpoint: checkpoint), model: modelFile.path, json: output.json) }
                guard let data else { throw ValidationError("--data is needed for a \(checkpoint.kind.replacingOccurrences(of: "_", with: " "))") }
                // wikitext-2 and ptb ship their split as files (as training found them); elsewhere training cut the text itself.
                let mainPath = try DataCatalog.resolve(data)
                let validationFile = split == .all ? nil : DataCatalog.validationFile(of: data, resolvedAs: mainPath)
                if split != .all, validationFile == nil, let set = DataCatalog.entry(named: data), data != set.name, let setValidation = set.validation {
                    throw UsageError(description: "--split \(split.rawValue) picks a part of \(set.name)'s training file, and \(data) is another of its files; give --data \(set.name) --split \(split.rawValue), or --data \(set.name)/\(setValidation) without --split")
                }
                // A model validated on its own --valid file trained on all of --data: no part of it was held out.
                if split != .all, validationFile == nil, checkpoint.kind == LanguageModel.kind,
                   let json = checkpoint.metadata["data"], let recorded = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String],
                   let valid = recorded["--valid"] {
                    throw UsageError(description: "--split \(split.rawValue) picks a part of the text training held out, but \(modelFile.path) was validated on its own file (--valid \(valid)) and trained on all of its --data; give --data \(valid) without --split")
                }
                let splitByFile = validationFile != nil
                let path = split == .valid ? validationFile ?? mainPath : mainPath
                if heldOut != nil, ![SequenceClassifier.kind, ConditionalGenerator.kind].contains(checkpoint.kind) {
                    throw UsageError(description: "--held-out is the fraction a classifier or generator held out; \(modelFile.path) holds a \(checkpoint.kind.replacingOccurrences(of: "_", with: " "))\(checkpoint.kind == LanguageModel.kind ? " (its --split valid is the last 10% of --data)" : "")")
                }
                if split != .all, ![SequenceClassifier.kind, ConditionalGenerator.kind, LanguageModel.kind].contains(checkpoint.kind) {
                    throw UsageError(description: "--split is for language models, classifiers and generators; \(modelFile.path) holds a \(checkpoint.kind.replacingOccurrences(of: "_", with: " "))")
                }
                switch checkpoint.kind {
                case SequenceClassifier.kind: try evaluateClassifier(try SequenceClassifier(checkpoint: checkpoint), path)
                case SequenceTagger.kind: try evaluateTagger(try SequenceTagger(checkpoint: checkpoint), path)
                case ConditionalGenerator.kind: try evaluateGenerator(try ConditionalGenerator(checkpoint: checkpoint), path)
                case NumericSequenceClassifier.kind:
                    try evaluateNumeric(try NumericSequenceClassifier(checkpoint: checkpoint), try series.read(path, labelColumn: textData.labelColumn, test: true), json: output.json)
                case Forecaster.kind: try evaluateForecaster(try Forecaster(checkpoint: checkpoint), path)
                default: try evaluateLanguageModel(try LanguageModel(checkpoint: checkpoint), path, part: splitByFile ? .all : split)
                }
            }
        }

        func evaluateLanguageModel(_ lm: LanguageModel, _ path: String, part: EvaluationSplit) throws {
            let text = try TextFile.read(path)
            var line = 1
            let allIDs = try lm.config.level.tokens(text).map { token -> Int in
                guard let id = lm.vocabulary.idOrUnknown(token) else {
                    throw DataError.malformed(path: path, line: line, expected: "tokens the model knows", found: token.debugDescription)
                }
                if token == "\n" || token == Vocabulary.endOfSentence { line += 1 }
                return id
            }
            // The same cut as training's: the last 10% of the tokens were its validation text.
            let cut = allIDs.count * 9 / 10
            let ids = part == .valid ? Array(allIDs[cut...]) : part == .train ? Array(allIDs[..<cut]) : allIDs
            let b = max(1, min(batch, ids.count / seq.plusOneSaturating))
            let stream = TokenStream(ids: ids, batchSize: b, sequenceLength: seq)
            guard stream.batchCount > 0 else { throw DataError.tooShort(path: path, tokens: ids.count, needed: 2) }
            let r = evaluating { lm.evaluate(stream, control: $0) }
            if output.json {
                let derived = lm.config.level == .char ? r.loss / log(2.0) : exp(r.loss)
                print(#"{"loss":\#(jsonNumber(r.loss)),"tokens":\#(r.tokens),"\#(lm.config.level == .char ? "bits_per_char" : "perplexity")":\#(jsonNumber(derived))}"#)
            } else if lm.config.level == .char {
                print(String(format: "%@: loss %.4f nats/char, %.4f bits/char over %d characters", path, r.loss, r.loss / log(2.0), r.tokens))
            } else {
                print(String(format: "%@: loss %.4f nats/word, perplexity %.2f over %d words", path, r.loss, exp(r.loss), r.tokens))
            }
        }

        func evaluateTagger(_ tagger: SequenceTagger, _ path: String) throws {
            let sentences = try CoNLLU.sentences(try TextFile.read(path), path: path, column: tagger.config.column)
            let tags = try tagger.encodeTags(sentences, path: path)
            let r = evaluating { tagger.evaluate(sentences.map(\.words), tags: tags, control: $0) }
            if output.json {
                print(#"{"loss":\#(jsonNumber(r.loss)),"accuracy":\#(jsonNumber(r.metrics.accuracy)),"words":\#(r.metrics.total.reduce(0, +))}"#)
                return
            }
            print(String(format: "%@: accuracy %.4f over %d words, loss %.4f", path, r.metrics.accuracy, r.metrics.total.reduce(0, +), r.loss))
            print(r.metrics.table)
        }

        func evaluateForecaster(_ forecaster: Forecaster, _ path: String) throws {
            if missing == .mask { throw ValidationError("--missing mask is for classifiers; a forecaster takes refuse or carry") }
            let c = forecaster.config
            let series = try readForecastSeries(path, column: column ?? c.column, missing: missing)
            guard series.values.count > c.horizon else {
                throw DataError.malformed(path: path, line: series.firstLine + series.values.count - 1,
                                          expected: "a series longer than the horizon (\(c.horizon) values held out)", found: "\(series.values.count) values")
            }
            let history = Array(series.values.dropLast(c.horizon)), actual = Array(series.values.suffix(c.horizon))
            var rows = [("\(c.cell) forecaster", try forecaster.forecast(history, path: path, firstLine: series.firstLine))]
            if baselines {
                rows.append(("seasonal naive (m=\(c.season))", ForecastEvaluation.seasonalNaive(history, horizon: c.horizon, season: c.season)))
                rows.append(("linear trend", ForecastEvaluation.linearTrend(history, horizon: c.horizon)))
            }
            let scored = rows.map { ($0.0, ForecastEvaluation.scores(actual: actual, forecast: $0.1, history: history, season: c.season)) }
            if output.json {
                func number(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "null" }
                print("[" + scored.map { name, s in
                    #"{"method":"\#(name)","mae":\#(number(s.mae)),"rmse":\#(number(s.rmse)),"smape":\#(number(s.smape)),"mase":\#(number(s.mase))}"#
                }.joined(separator: ",") + "]")
                return
            }
            print("\(path): the last \(c.horizon) values of \(series.name) held out, forecast from the \(history.count) before them; MASE scaled by the in-sample seasonal-naive error (m=\(c.season))")
            print("method".padding(toLength: 28, withPad: " ", startingAt: 0) + "       MAE      RMSE   sMAPE%    MASE")
            for (name, s) in scored {
                print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%10.3f%10.3f%9.3f%8.3f", s.mae, s.rmse, s.smape, s.mase))
            }
        }

        func evaluateClassifier(_ classifier: SequenceClassifier, _ path: String) throws {
            let examples = chosenPart(try textData.read(path))
            let encoded = try classifier.encode(examples)
            let r = evaluating { classifier.evaluate(encoded, control: $0) }
            let m = r.metrics
            if output.json {
                print(#"{"loss":\#(jsonNumber(r.loss)),"accuracy":\#(jsonNumber(m.accuracy)),"macro_f1":\#(jsonNumber(m.macroF1)),"examples":\#(m.total)}"#)
                return
            }
            print(String(format: "%@: accuracy %.4f, macro-F1 %.4f, loss %.4f over %d examples", path, m.accuracy, m.macroF1, r.loss, m.total))
            print(m.table, terminator: "")
        }

        /// The examples `--split` and `--held-out` ask for: all, or one side of `train classify`'s stratified split.
        func chosenPart(_ examples: [LabeledText]) -> [LabeledText] {
            let side: EvaluationSplit = heldOut != nil ? .valid : split
            guard side != .all else { return examples }
            let parts = stratifiedSplit(examples, fraction: heldOut ?? TrainClassify.defaultValidSplit ?? 0.1, seed: seeding.seed)
            return side == .valid ? parts.held : parts.train
        }
    }
}

/// `pass` run with its progress shown on a terminal (a redrawn line: `what`, the fraction done, time, ETA), erased
/// before the results are printed; nothing is shown when standard output is not a terminal.
func evaluating<R>(_ what: String = "evaluating", _ pass: (PassControl) -> R) -> R {
    let control = PassControl.showingProgress(what)
    defer { control.finish() }
    return pass(control)
}

/// `rnn evaluate --split`: all of the data, or one side of the split training made.
enum EvaluationSplit: String, ExpressibleByArgument, CaseIterable {
    case all, train, valid
}
