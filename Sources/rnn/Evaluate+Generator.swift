import ArgumentParser
import Foundation
import Recurrent

extension RNN.Evaluate {
    /// A conditional generator: loss per token on the data (per label too), and,
    /// with --classifier, how often the classifier assigns a generated sequence
    /// to the label it was generated for, beside its accuracy on the real texts.
    func evaluateGenerator(_ generator: ConditionalGenerator, _ path: String) throws {
        let config = generator.config
        var examples: [LabeledText]
        var featureRows: Tensor? = nil
        if config.source == .features {
            guard let features else {
                throw UserFacingError(description: "\(modelFile.path): this generator captions feature vectors; give --features FILE with --data CAPTIONS")
            }
            let rows = try FeatureFile.read(features)
            examples = try FeatureFile.captions(path)
            try FeatureFile.checkPaired(features: rows, path: features, captions: examples, captionsPath: path)
            _ = try FeatureFile.row(0, of: rows, path: features, width: config.conditionSize)
            featureRows = rows
        } else {
            examples = try textData.read(path)
        }
        examples = chosenPart(examples)
        var encoded = try generator.encode(examples)
        if let featureRows { encoded.conditions = ConditionInput.features(featureRows).select(examples.map { $0.line - 1 }) }
        let overall = evaluating { generator.evaluate(encoded, control: $0) }

        // Per label: the examples of each label (all of them as one group without labels).
        let groups = Dictionary(grouping: examples.indices) { examples[$0].label ?? "" }
        var rows: [(label: String, count: Int, loss: Double, tokens: Int)] = []
        for label in groups.keys.sorted() where !label.isEmpty && groups.count > 1 {
            let idx = groups[label]!
            let r = generator.evaluate(ConditionalExamples(conditions: encoded.conditions.select(idx), sequences: idx.map { encoded.sequences[$0] }))
            rows.append((label, idx.count, r.loss, r.tokens))
        }

        var check: (generated: Double, real: Double, perLabel: [String: (generated: Double, real: Double)])? = nil
        if let classifierPath = classifier {
            guard config.source == .label else {
                throw UserFacingError(description: "--classifier checks a label-conditioned generator; \(modelFile.path) is conditioned on \(config.source == .none ? "nothing" : "feature vectors")")
            }
            let classifier = try SequenceClassifier(checkpoint: try Checkpoint.read(classifierPath))
            let missing = config.labels.filter { !classifier.config.labels.contains($0) }
            guard missing.isEmpty else {
                throw UserFacingError(description: "\(classifierPath): the classifier does not know \(missing.joined(separator: ", ")), which the generator writes")
            }
            // One generated text per real one, for the same label: the same mix of labels on both sides.
            var rng = SeededRNG(seed: seeding.seed)
            let options = SamplingOptions(temperature: temperature)
            let generated = examples.map { e in
                generator.decode(generator.generate(.label(config.labels.firstIndex(of: e.label!)!), maxLength: 50, options: options, rng: &rng))
            }
            func hits(_ texts: [String]) -> [Bool] {
                zip(classifier.predict(texts), examples).map { probs, e in
                    classifier.config.labels[probs.indices.max { probs[$0] < probs[$1] }!] == e.label
                }
            }
            let g = hits(generated), r = hits(examples.map(\.text))
            func rate(_ h: [Bool], _ idx: [Int]) -> Double { Double(idx.filter { h[$0] }.count) / Double(max(idx.count, 1)) }
            var perLabel: [String: (generated: Double, real: Double)] = [:]
            for (label, idx) in groups { perLabel[label] = (generated: rate(g, idx), real: rate(r, idx)) }
            check = (rate(g, Array(examples.indices)), rate(r, Array(examples.indices)), perLabel)
        }

        if output.json {
            var fields = [String(format: #""loss":%.6f,"tokens":%d,"sequences":%d"#, overall.loss, overall.tokens, examples.count)]
            if let check { fields.append(String(format: #""generated_classified_as_requested":%.6f,"real_classified_correctly":%.6f"#, check.generated, check.real)) }
            let per: [String] = rows.map { r -> String in
                String(format: #""%@":{"loss":%.6f,"tokens":%d,"sequences":%d}"#, r.label, r.loss, r.tokens, r.count)
            }
            if !per.isEmpty { fields.append("\"per_label\":{\(per.joined(separator: ","))}") }
            print("{" + fields.joined(separator: ",") + "}")
            return
        }
        print(String(format: "%@: loss %.4f nats/token (%.3f bits) over %d tokens in %d sequences (each sequence's tokens and its end)",
                     path, overall.loss, overall.loss / log(2.0), overall.tokens, examples.count))
        if let check {
            print(String(format: "classifier %@: generated sequences assigned to the requested label %.2f%%; real sequences classified correctly %.2f%% (one generated per real, temperature %g)",
                         classifier!, check.generated * 100, check.real * 100, Double(temperature)))
        }
        if !rows.isEmpty {
            let extra: String = check == nil ? "" : "  generated%    real%"
            let header: String = "label".padding(toLength: 14, withPad: " ", startingAt: 0) + "   count    loss"
            print(header + extra)
            for r in rows {
                var line = r.label.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: " %7d  %6.4f", r.count, r.loss)
                if let c = check?.perLabel[r.label] { line += String(format: "  %10.1f  %7.1f", c.generated * 100, c.real * 100) }
                print(line)
            }
        }
    }
}
