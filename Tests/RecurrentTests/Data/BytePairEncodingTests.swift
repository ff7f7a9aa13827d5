import Foundation
import Testing
@testable import Recurrent

/// Byte-pair encoding: learning, encoding, joining, storing.
@Suite struct BytePairEncodingTests {
    /// Sennrich et al.'s example: low x5, lower x2, newest x6, widest x3.
    static let words = Array(repeating: "low", count: 5) + Array(repeating: "lower", count: 2)
        + Array(repeating: "newest", count: 6) + Array(repeating: "widest", count: 3)

    @Test("merges are learned most frequent first, ties to the pair seen first, counts kept up to date")
    func learnsTheMostFrequentPairs() {
        let bpe = BytePairEncoding(learningFrom: Self.words, merges: 6)
        // e s (9) and s t</w> (9) tie: e s was seen first; then es t</w> (9), l o (7), n e (6); then
        // w est</w> (6, from newest) and ne w (6) tie: w est</w> appeared first (when es t</w> was merged).
        #expect(bpe.merges.map { "\($0.left) \($0.right)" } == ["e s", "es t</w>", "l o", "n e", "w est</w>", "ne west</w>"])
        #expect(bpe.pieces("lowest") == ["lo@@", "west"])
        #expect(bpe.pieces("newest") == ["newest"])
        #expect(bpe.pieces("lower") == ["lo@@", "w@@", "e@@", "r"])
        // Stops when no pair occurs twice.
        let all = BytePairEncoding(learningFrom: Self.words, merges: 1_000)
        #expect(all.merges.count < 1_000 && all.pieces("widest") == ["widest"] && all.pieces("lower") == ["lower"])
    }

    @Test("the merges do not depend on the order of the words")
    func orderFree() {
        var rng = SeededRNG(seed: 3)
        var shuffled = Self.words
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.nextInt(below: i + 1)) }
        #expect(BytePairEncoding(learningFrom: shuffled, merges: 10) == BytePairEncoding(learningFrom: Self.words, merges: 10))
    }

    @Test("join restores the words from their pieces, unseen characters included")
    func joinUndoesPieces() {
        let text = "Ein Mann mit einem orangefarbenen Hut , der etwas anstarrt . Zwei junge weiße Männer sind im Freien"
        let bpe = BytePairEncoding(learningFrom: text.split(separator: " ").map(String.init), merges: 40)
        let probe = ["Männer", "anstarrt", "Straßenmusikant", "ß", "x", "Hut", "@", "."]
        let pieces = bpe.pieces(probe)
        #expect(pieces.count > probe.count)
        #expect(BytePairEncoding.join(pieces) == probe)
        #expect(BytePairEncoding.join(["un@@", "fin@@"]) == ["unfin"])      // a cut-off word still comes out
    }

    @Test("stored as \"left right\" strings and read back equal; a bad merge is an error")
    func codable() throws {
        let bpe = BytePairEncoding(learningFrom: Self.words, merges: 5)
        let json = try JSONEncoder().encode(bpe)
        #expect(String(decoding: json, as: UTF8.self).contains("\"es t<\\/w>\""))
        #expect(try JSONDecoder().decode(BytePairEncoding.self, from: json) == bpe)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BytePairEncoding.self, from: Data(#"{"merges":["ab"]}"#.utf8)) }
    }

    @Test("a subword translation model reads pieces, writes words, and keeps its merges in the checkpoint")
    func subwordModel() throws {
        let sentences = Seq2SeqTests.sequences(40, lengths: 2...4, seed: 7).map { $0.map { $0 + $0 + "x" } }
        let bpe = BytePairEncoding(learningFrom: sentences.flatMap { $0 }, merges: 12)
        let units = Vocabulary(counting: sentences.flatMap { bpe.pieces($0) }, specials: Seq2Seq.specials, minimumCount: 1)
        let config = Seq2SeqConfig(cell: .gru, lowercase: false, sourceVocabularySize: units.count, targetVocabularySize: units.count,
                                   embeddingSize: 5, encoderHiddenSize: 3, encoderLayers: 1, decoderHiddenSize: 6, decoderLayers: 1,
                                   attention: .general, attentionSize: 4, inputFeeding: false, dropout: 0, subwords: bpe)
        var rng = SeededRNG(seed: 1)
        let m = Seq2Seq(config: config, source: units, target: units, rng: &rng)
        // (Plain values in the expectations: Swift Testing describes the operands it captures, and a model is large.)
        let s = sentences[0], read = m.units(s), pieces = bpe.pieces(s), ids = m.sourceIDs(s), back = m.words(read)
        #expect(read == pieces && back == s)
        let unknown = ids.filter { $0 == Seq2Seq.unknownID }.count
        #expect(unknown == 0 && ids.count == pieces.count + 1)
        let rows = m.alignment(source: s, target: sentences[1]), targetPieces = bpe.pieces(sentences[1])
        #expect(rows.count == targetPieces.count + 1 && rows[0].count == pieces.count + 1)
        var greedy = DecodingOptions()
        greedy.beam = 1
        let out = m.translate([s], options: greedy)[0][0].words
        #expect(!out.contains { $0.hasSuffix(BytePairEncoding.continuation) && $0.count > 2 })

        let path = TrainerTests.tempDir() + "/bpe.safetensors"
        try Checkpoint.write(kind: Seq2Seq.kind, config: m.configJSON, vocabulary: m.checkpointVocabulary,
                             tensors: m.namedParameters.map { ($0.name, $0.parameter.value) }, to: path)
        let loaded = try Seq2Seq(checkpoint: try Checkpoint.read(path))
        let loadedMerges = loaded.config.subwords, again = loaded.translate([s], options: greedy)[0][0].words
        #expect(loadedMerges == bpe && again == out)
    }
}
