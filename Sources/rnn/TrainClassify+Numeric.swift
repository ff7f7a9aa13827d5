import ArgumentParser
import Foundation
import Recurrent

/// The defaults of `rnn train classify` on numeric sequences, chosen from the
/// measured runs recorded in docs/results.md.
enum NumericDefaults {
    static let hidden = 64
    static let layers = 2
    static let bidirectional = true
    static let dropout: Float = 0.3
    static let pooling = Pooling.mean
    static let batch = 16
    /// The default patch: the longest training series gets about this many
    /// recurrent steps per channel (GunPoint, 1 x 150: patch 10; BasicMotions,
    /// 6 x 100, and JapaneseVowels, 12 x 29: no patches).
    static let stepsPerChannel = 15

    static func patch(longest: Int, channels: Int) -> Int { max(1, longest / (stepsPerChannel * max(channels, 1))) }
}

extension TrainClassify {
    /// `rnn train classify` on numeric sequences: `.ts` files and folders, numeric CSV.
    func trainNumeric(_ path: String) throws {
        if tokenizer != nil || lowercase || minCount != 1 || embeddings != nil || textData.textColumn != nil || model.embedding != nil {
            throw ValidationError("--tokenizer, --lowercase, --min-count, --embeddings, --embedding and --text-column are for text; \(path) holds numeric sequences")
        }
        let folder = SeriesFolder(path)
        let trainSet = try series.read(path, labelColumn: textData.labelColumn)
        var trainCases = trainSet.cases
        var validCases = try valid.map { try series.read(try DataCatalog.resolve($0), labelColumn: textData.labelColumn).cases }
        if let f = validSplit, f > 0 {
            let split = stratifiedSplit(trainCases, label: \.label, fraction: f, seed: training.seed)
            trainCases = split.train
            validCases = split.held
        }
        let labels = trainSet.classLabels ?? Array(Set(trainCases.compactMap(\.label))).sorted()
        guard labels.count >= 2 else {
            throw UserFacingError(description: "\(trainSet.path): a classifier needs at least 2 labels, found \(labels.count) (\(labels.joined(separator: ", ")))")
        }
        let scaling = ChannelScaling.fit(trainCases, channels: trainSet.channels)
        let config = NumericClassifierConfig(cell: model.cell, hiddenSize: model.hidden ?? NumericDefaults.hidden,
                                             layers: model.layers ?? NumericDefaults.layers, bidirectional: bidirectional ?? NumericDefaults.bidirectional,
                                             dropout: model.dropout ?? NumericDefaults.dropout, pooling: pooling ?? NumericDefaults.pooling,
                                             labels: labels, scaling: scaling, missing: missing, patch: patch ?? NumericDefaults.patch(longest: trainCases.map(\.length).max() ?? 1, channels: trainSet.channels),
                                             inputDropout: inputDropout, inputNoise: inputNoise)
        try Check.trainable(config.parameterCount)
        var rng = SeededRNG(seed: training.seed)
        let classifier = NumericSequenceClassifier(config: config, rng: &rng)
        let task = ClassificationTask(model: classifier, train: try classifier.encode(labeled: trainCases),
                                      valid: try validCases.map { try classifier.encode(labeled: $0) }, batch: batch ?? NumericDefaults.batch)
        let lengths = trainCases.map(\.length)
        try trainTask(task, training: training, defaultSelect: .accuracy, selectable: [.loss, .accuracy, .macroF1],
                      inputs: ["--data": folder?.train ?? path, "--valid": try valid.map { try DataCatalog.resolve($0) }], describe: """
            data: \(trainSet.path): \(trainCases.count) training and \(validCases?.count ?? 0) validation sequences, \(trainSet.channels) channels, length \(lengths.min() ?? 0)-\(lengths.max() ?? 0), \(labels.count) labels
            model: \(config.layers) x \(config.bidirectional ? "bidirectional " : "")\(config.cell) \(config.hiddenSize), \(config.pooling) pooling, patch \(config.patch), missing values: \(missing), dropout \(config.dropout), input dropout \(inputDropout), input noise \(inputNoise), \(classifier.parameterCount) parameters
            """)
        if let v = task.valid {
            let r = classifier.evaluate(v)
            print(String(format: "validation accuracy %.4f, macro-F1 %.4f (final model; the best by %@ is in %@)", r.metrics.accuracy, r.metrics.macroF1, (training.select ?? .accuracy).rawValue, training.out))
        }
        // A UCR/UEA folder: the saved model on the test file, which played no part in training or selection.
        if let test = folder?.test {
            let saved = try NumericSequenceClassifier(checkpoint: try Checkpoint.read(training.out))
            try evaluateNumeric(saved, try TSFile.read(test), json: false, note: " (test file, \(training.out))")
        }
    }
}
