import ArgumentParser
import Foundation
import Recurrent

/// How `translate` and `evaluate` decode: beam width, length normalisation, length limit.
struct DecodingArguments: ParsableArguments {
    @Option(help: "Beam width (1: greedy).")
    var beam = 5
    @Option(help: "Length normalisation: hypotheses are ranked by log p / length^alpha.")
    var alpha = 0.6
    @Option(help: "The longest translation is this many times the source length, plus 5 words.")
    var maxRatio = 1.5

    func validate() throws {
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1 (1 is greedy), got \(beam)") }
        try Check.count(beam, "--beam", in: 1...100)
        try Check.positive(maxRatio, "--max-ratio")
        try Check.number(alpha, "--alpha", in: 0...100)
    }

    func options(nBest: Int = 1, batch: Int = 64) -> DecodingOptions {
        var o = DecodingOptions()
        o.beam = beam
        o.nBest = nBest
        o.alpha = alpha
        o.maxLengthRatio = maxRatio
        o.batch = batch
        return o
    }
}

/// `rnn evaluate --source F --target F`: a translation model's BLEU, chrF and perplexity.
struct TranslationEvaluationOptions: ParsableArguments {
    @Option(help: "Translation: source sentences, one per line (a path or NAME/FILE, e.g. multi30k/test_2016_flickr.de).")
    var source: String?
    @Option(help: "Translation: reference translations, line i of --source.")
    var target: String?
    @OptionGroup var decoding: DecodingArguments
    @Option(help: "Translation: write the detokenized translations to this file.")
    var output: String?

    func validate() throws {
        if (source == nil) != (target == nil) { throw ValidationError("give both --source and --target") }
        if let output, output == source || output == target { throw ValidationError("--output \(output) would overwrite an input") }
    }

    func evaluate(_ m: Seq2Seq, model: String, json: Bool) throws {
        let sourcePath = try DataCatalog.resolve(source!), targetPath = try DataCatalog.resolve(target!)
        let text = try ParallelText.read(source: sourcePath, target: targetPath, lowercase: m.config.lowercase, maxWords: 1000)
        if let note = text.report(source: sourcePath, target: targetPath, maxWords: 1000) { FileHandle.standardError.write((note + "\n").data(using: .utf8)!) }
        let references = text.pairs.map(\.reference)
        let sources = text.pairs.map { m.sourceIDs($0.source) }, targets = text.pairs.map { m.targetIDs($0.target) }
        let loss = evaluating("scoring") { m.evaluateLoss(sources: sources, targets: targets, control: $0) }
        let options = decoding.options()
        let start = Date()
        let s = evaluating("translating") { m.score(sources: text.pairs.map(\.source), references: references, options: options, control: $0) }
        let seconds = Date().timeIntervalSince(start)
        if let output {
            // Only a file this command can replace: absent, or not one of its inputs (the checkpoint included).
            try OutputFile.check(output, role: "the translations", content: .any, inputs: [("--model", model), ("--source", sourcePath), ("--target", targetPath)])
            let lock = try OutputFile.lock(output, role: "the translations")
            defer { lock.release() }
            try atomicWrite(Data((s.outputs.joined(separator: "\n") + "\n").utf8), to: output)
        }
        if json {
            print(String(format: #"{"bleu":%.4f,"chrf":%.4f,"loss":%.6f,"perplexity":%.4f,"sentences":%d,"beam":%d,"decode_seconds":%.2f}"#,
                         s.bleu.score, s.chrF.score, loss.loss, exp(loss.loss), references.count, decoding.beam, seconds))
        } else {
            print(String(format: "%@: BLEU %.2f (%@; BP %.3f, %d/%d words), chrF %.2f, perplexity %.2f over %d sentences; beam %d, decoded in %.1f s",
                         sourcePath, s.bleu.score, s.bleu.precisions.map { String(format: "%.1f", $0) }.joined(separator: "/"),
                         s.bleu.brevityPenalty, s.bleu.hypothesisLength, s.bleu.referenceLength, s.chrF.score, exp(loss.loss),
                         references.count, decoding.beam, seconds))
        }
    }
}
