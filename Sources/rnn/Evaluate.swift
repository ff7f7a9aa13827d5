import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn evaluate`: loss of a model on a data file.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on a data file: loss and bits per character (char) or perplexity (word); BLEU, chrF and perplexity (translate); accuracy and confusion matrix (classifiers); MAE, RMSE, sMAPE and MASE on held-out values (forecasters).")

        @Option(help: "A checkpoint written by `rnn train`.")
        var model: String
        @Option(help: "A file path or data set name (NAME/FILE picks a file of a set, e.g. wikitext-2/wiki.test.tokens).")
        var data: String?
        @OptionGroup var translation: TranslationEvaluationOptions
        @Option(help: "Steps per batch.")
        var seq = 64
        @Option(help: "Parallel streams.")
        var batch = 16
        @Flag(help: "Print one JSON object.")
        var json = false

        @Option(help: "Classifier data: the text column (a header name or a 1-based number).")
        var textColumn: String?
        @Option(help: "Classifier data: the label column (a header name or a 1-based number).")
        var labelColumn: String?
        @Option(help: "Classifier or generator: evaluate only the held-out fraction that `train classify|generate --valid-split F --seed S` set aside.")
        var heldOut: Double?
        @Option(help: "The seed of that split.")
        var seed: UInt64 = 1
        @Option(help: "Generator: a classifier that checks generated sequences are assigned to the label asked for.")
        var classifier: String?
        @Option(help: "Generator: sampling temperature for the --classifier check.")
        var temperature: Float = 1
        @Option(help: "Captioning generator: the feature file whose rows --data's captions describe.")
        var features: String?
        @OptionGroup var series: SeriesFormatOptions
        @Option(help: "Forecaster: the value column of the series (a header name or 1-based number; default: the last).")
        var column: String?
        @Option(help: "Forecaster: missing values in the series: refuse or carry (last value forward).")
        var missing: MissingValues = .refuse
        @Flag(help: "Forecaster: also score the seasonal-naive forecast (repeat the last season) and a linear trend.")
        var baselines = false

        func validate() throws {
            if let f = heldOut, !(f > 0 && f < 1) { throw ValidationError("--held-out must lie between 0 and 1, got \(f)") }
            try Check.count(seq, "--seq", in: 1...Int.max)
            try Check.count(batch, "--batch", in: 1...Int.max)
            try Check.positive(temperature, "--temperature")
            if (data == nil) == (translation.source == nil) {
                throw ValidationError("give --data FILE, or --source FILE --target FILE for a translation model")
            }
        }

        func run() throws {
            try userFacing {
                let checkpoint = try Checkpoint.read(model)
                if translation.source != nil { return try translation.evaluate(try Seq2Seq(checkpoint: checkpoint), model: model, json: json) }
                guard let data else { throw ValidationError("--data is needed for a \(checkpoint.kind.replacingOccurrences(of: "_", with: " "))") }
                let path = try DataCatalog.resolve(data)
                switch checkpoint.kind {
                case SequenceClassifier.kind: try evaluateClassifier(try SequenceClassifier(checkpoint: checkpoint), path)
                case SequenceTagger.kind: try evaluateTagger(try SequenceTagger(checkpoint: checkpoint), path)
                case ConditionalGenerator.kind: try evaluateGenerator(try ConditionalGenerator(checkpoint: checkpoint), path)
                case NumericSequenceClassifier.kind:
                    try evaluateNumeric(try NumericSequenceClassifier(checkpoint: checkpoint), try series.read(path, labelColumn: labelColumn, test: true), json: json)
                case Forecaster.kind: try evaluateForecaster(try Forecaster(checkpoint: checkpoint), path)
                default: try evaluateLanguageModel(try LanguageModel(checkpoint: checkpoint), path)
                }
            }
        }

        func evaluateLanguageModel(_ lm: LanguageModel, _ path: String) throws {
            let text = try TextFile.read(path)
            var line = 1
            let ids = try lm.config.level.tokens(text).map { token -> Int in
                guard let id = lm.vocabulary.idOrUnknown(token) else {
                    throw DataError.malformed(path: path, line: line, expected: "tokens the model knows", found: token.debugDescription)
                }
                if token == "\n" || token == Vocabulary.endOfSentence { line += 1 }
                return id
            }
            let b = max(1, min(batch, ids.count / seq.plusOneSaturating))
            let stream = TokenStream(ids: ids, batchSize: b, sequenceLength: seq)
            guard stream.batchCount > 0 else { throw DataError.tooShort(path: path, tokens: ids.count, needed: 2) }
            let r = lm.evaluate(stream)
            if json {
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
            let r = tagger.evaluate(sentences.map(\.words), tags: try tagger.encodeTags(sentences, path: path))
            if json {
                print(#"{"loss":\#(jsonNumber(r.loss)),"accuracy":\#(jsonNumber(r.metrics.accuracy)),"words":\#(r.metrics.total.reduce(0, +))}"#)
                return
            }
            print(String(format: "%@: accuracy %.4f over %d words, loss %.4f", path, r.metrics.accuracy, r.metrics.total.reduce(0, +), r.loss))
            print(r.metrics.table)
        }

        func evaluateForecaster(_ forecaster: Forecaster, _ path: String) throws {
            if missing == .mask { throw ValidationError("--missing mask is for classifiers; a forecaster takes refuse or carry") }
            let c = forecaster.config
            let series = try readForecastSeries(path, column: column, missing: missing)
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
            if json {
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
            var examples = try ClassificationData.read(path, textColumn: textColumn, labelColumn: labelColumn)
            if let f = heldOut { examples = stratifiedSplit(examples, fraction: f, seed: seed).held }
            let r = classifier.evaluate(try classifier.encode(examples))
            let m = r.metrics
            if json {
                print(#"{"loss":\#(jsonNumber(r.loss)),"accuracy":\#(jsonNumber(m.accuracy)),"macro_f1":\#(jsonNumber(m.macroF1)),"examples":\#(m.total)}"#)
                return
            }
            print(String(format: "%@: accuracy %.4f, macro-F1 %.4f, loss %.4f over %d examples", path, m.accuracy, m.macroF1, r.loss, m.total))
            print(m.table, terminator: "")
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
