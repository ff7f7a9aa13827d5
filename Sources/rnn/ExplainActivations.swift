import ArgumentParser
import Foundation
import Recurrent

/// `rnn explain activations`: the text coloured by units, unit ranking, gate saturation.
struct ExplainActivations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Colour a text by a unit's memory cell, output or gate; rank units; show gate saturation.",
        discussion: """
        Works with language models (character or word level) and sequence classifiers (one input per line; \
        the page also shows which tokens moved each prediction most).
        Examples:
          rnn explain activations --model shakespeare.safetensors --text sonnet.txt \\
              --out cells.html
          rnn explain activations --model names.safetensors --text some-names.txt \\
              --out names.html
        """)

    @OptionGroup var modelFile: ModelFileOption
    @OptionGroup var threads: ThreadsOption
    @Option(help: "The text to run the model over (a file path or NAME/FILE of a data set).")
    var text: String
    @Option(help: "Where to write the page.")
    var out: String
    @Option(help: "Use at most this many tokens of the text (characters or words; at most 5000).")
    var maxTokens = 1000

    /// The longest line (one example) a classifier is explained on.
    static let maxClassifierLineTokens = 300

    func validate() throws {
        // The page holds every unit's value at every token: 5,000 tokens of a 2 x 512 LSTM make about 30 MB.
        guard maxTokens >= 1 && maxTokens <= 5000 else { throw ValidationError("--max-tokens must lie in 1...5000, got \(maxTokens)") }
        if out == modelFile.path || out == text { throw ValidationError("--out must differ from --model and --text") }
    }

    func run() throws {
        try userFacing {
            let path = try DataCatalog.resolve(text)
            let lock = try HTMLPage.claim(out, inputs: [("--model", modelFile.path), ("--text", path)])
            defer { lock.release() }
            let checkpoint = try Checkpoint.read(modelFile.path)
            let content = try TextFile.read(path)
            let recording: ActivationRecording
            let describe: String
            switch checkpoint.kind {
            case LanguageModel.kind:
                let lm = try LanguageModel(checkpoint: checkpoint)
                let tokens = lm.config.level.tokens(content)
                if tokens.count > maxTokens { print("using the first \(maxTokens) of \(tokens.count) tokens (--max-tokens)") }
                recording = ActivationRecording(lm, tokens: Array(tokens.prefix(maxTokens)))
                let c = lm.config
                describe = "\(modelFile.path): \(c.level)-level language model, \(c.layers) x \(c.cell) \(c.hiddenSize), vocabulary \(c.vocabularySize)"
            case SequenceClassifier.kind:
                let classifier = try SequenceClassifier(checkpoint: checkpoint)
                // Each line is one example, and measuring which tokens moved its prediction runs it once
                // per token left out: cost grows with the square of a line's length, so long lines are cut.
                var lines: [String] = [], count = 0, cut = 0
                let tokenizer = classifier.config.tokenizer
                for line in content.split(separator: "\n") where count < maxTokens {
                    var tokens = tokenizer.tokens(String(line))
                    let room = min(Self.maxClassifierLineTokens, maxTokens - count)
                    if tokens.count > room {
                        tokens = Array(tokens.prefix(room))
                        cut += 1
                        lines.append(tokens.joined(separator: tokenizer == .char ? "" : " "))
                    } else {
                        lines.append(String(line))
                    }
                    count += tokens.count
                }
                if cut > 0 {
                    print("\(path): \(cut) line(s) cut to their first \(Self.maxClassifierLineTokens) tokens (or what --max-tokens left)")
                }
                recording = ActivationRecording(classifier, text: lines.joined(separator: "\n"))
                let c = classifier.config
                describe = "\(modelFile.path): sequence classifier (\(c.tokenizer) tokens), \(c.layers) x \(c.bidirectional ? "bidirectional " : "")\(c.cell) \(c.hiddenSize), \(c.labels.count) labels"
            default:
                throw UserFacingError(description: "\(modelFile.path): holds a \(checkpoint.kind.replacingOccurrences(of: "_", with: " ")); `rnn explain activations` can explain a language model or a sequence classifier")
            }
            if recording.stepCount == 0 {
                throw DataError.malformed(path: path, line: 1, expected: "text with tokens in the model's vocabulary", found: "none")
            }
            let unknown = recording.known.filter { !$0 }.count
            if unknown > 0 {
                let examples = Array(Set(recording.tokens.indices.filter { !recording.known[$0] }.map { recording.tokens[$0].debugDescription })).sorted().prefix(5)
                print("\(path): \(unknown) token(s) outside the model's vocabulary (\(examples.joined(separator: ", "))), marked on the page")
            }
            let page = ActivationsPage(recording: recording, modelDescription: describe, textDescription: path)
            try HTMLPage.write(page.page.html, to: out)
            print("wrote \(out): \(recording.tokens.count) tokens, \(recording.passes.count) layer(s)")
        }
    }
}
