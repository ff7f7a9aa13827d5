import Foundation
import Testing
@testable import Recurrent

/// Text reading, vocabularies, token streams and the data catalog.
@Suite struct DataTests {
    @Test func sha256MatchesKnownDigests() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Data(String(repeating: "a", count: 1_000).utf8)
        #expect(SHA256.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    static let sharedSets = ["tinyshakespeare", "wikitext-2"]
    static var sharedFiles: [String] {
        DataCatalog.entries.filter { sharedSets.contains($0.name) }.flatMap { e in e.files.map { "\(e.name)/\($0.name)" } }
    }

    @Test(.enabled(if: SharedData.directory != nil && sharedFiles.allSatisfy { SharedData.has($0) },
                   "needs RNN_DATA_DIR with tinyshakespeare and wikitext-2"))
    func catalogHashesMatchTheSharedCopies() throws {
        let dir = try #require(SharedData.directory)
        for entry in DataCatalog.entries where Self.sharedSets.contains(entry.name) {
            for file in entry.files {
                let data = try #require(FileManager.default.contents(atPath: "\(dir)/\(entry.name)/\(file.name)"))
                #expect(SHA256.hex(data) == file.sha256, "\(entry.name)/\(file.name)")
            }
        }
    }

    /// WikiText-2 read as published (Merity et al. 2016; PyTorch's example reads it the same way):
    /// every line's `<eos>` counted, words parted where Python's `str.split()` parts them.
    @Test(.enabled(if: SharedData.has("wikitext-2/wiki.valid.tokens") && SharedData.has("wikitext-2/wiki.test.tokens"),
                   "needs RNN_DATA_DIR with wikitext-2"))
    func wikitext2ReadsAsPublished() throws {
        let dir = try #require(SharedData.directory)
        let valid = try TextFile.read("\(dir)/wikitext-2/wiki.valid.tokens"), test = try TextFile.read("\(dir)/wikitext-2/wiki.test.tokens")
        #expect(TextLevel.word.tokens(valid).count == 217_646 && TextLevel.word.tokens(test).count == 245_569)
    }

    @Test func argmaxPicksTheLargestColumnOfARow() {
        let t = Tensor(shape: [3, 4], scalars: [0, 2, 1, 2,  -5, -1, -3, -2,  7, 0, 0, 0])
        #expect((0..<3).map { t.argmax(row: $0) } == [1, 1, 0])      // a tie keeps the first column
    }

    @Test func textFileHandlesBOMAndWindowsLineEndings() throws {
        let text = try TextFile.decode(Data([0xEF, 0xBB, 0xBF]) + Data("one\r\ntwo\r\n".utf8), path: "w.txt")
        #expect(text == "one\ntwo\n")
        #expect(throws: DataError.invalidUTF8(path: "b.txt", byteOffset: 6, line: 2)) {
            try TextFile.decode(Data("ok\nfin".utf8) + Data([0xFF]) + Data("e".utf8), path: "b.txt")
        }
        #expect(throws: DataError.empty(path: "e.txt")) { try TextFile.decode(Data([0xEF, 0xBB, 0xBF]), path: "e.txt") }
    }

    @Test func wordVocabularyKeepsFrequentWordsAndMapsTheRestToUnknown() {
        let corpus = LanguageModelCorpus(train: "the cat sat\nthe dog sat\n", valid: "the bird sat\n", level: .word, minimumCount: 2)
        #expect(corpus.vocabulary.tokens == ["<unk>", "<eos>", "the", "sat"])
        #expect(corpus.valid == [2, 0, 3, 1])
    }

    /// Every line ends in `<eos>`, an empty one too, as WikiText's and PTB's token counts
    /// (WikiText-2's 245,569 test tokens) are taken; the text's final newline adds none.
    @Test func wordTokensEndEveryLineEmptyOnesToo() {
        #expect(TextLevel.word.tokens(" = A = \n \n the\tcat sat \n") == ["=", "A", "=", "<eos>", "<eos>", "the", "cat", "sat", "<eos>"])
        #expect(TextLevel.word.tokens("a\n\nb") == ["a", "<eos>", "<eos>", "b", "<eos>"])
        #expect(TextLevel.word.tokens("") == [] && TextLevel.word.tokens("\n") == ["<eos>"])
        // Old Mac and Windows line ends, and any whitespace between words (what Python's open() and str.split() do).
        #expect(TextLevel.word.tokens("a b\rc\r\nd\u{A0}e\u{0B}f\r") == ["a", "b", "<eos>", "c", "<eos>", "d", "e", "f", "<eos>"])
        // Scalar by scalar, as str.split(): a space before a combining mark still parts words (Swift's Characters
        // would glue them into one), and the separators U+001C-U+001F part words too. With this WikiText-2 reads
        // as published: 2,088,628 training tokens, vocabulary 33,278.
        #expect(TextLevel.word.tokens("x\u{1E}y z \u{301}w") == ["x", "y", "z", "\u{301}w", "<eos>"])
    }

    @Test func tokenStreamCarriesEachRowForward() {
        let stream = TokenStream(ids: Array(0..<22), batchSize: 2, sequenceLength: 4)
        #expect(stream.streamLength == 11 && stream.batchCount == 3)
        let b0 = stream.batch(0), b1 = stream.batch(1), b2 = stream.batch(2)
        #expect(b0.inputs == [0, 11, 1, 12, 2, 13, 3, 14] && b0.targets == [1, 12, 2, 13, 3, 14, 4, 15])
        #expect(b1.inputs.first == 4 && b1.inputs[1] == 15)      // each row continues where it stopped
        #expect(b2.steps == 2 && b2.targets == [9, 20, 10, 21])
    }

    @Test(.enabled(if: SharedData.has("tinyshakespeare/input.txt", "wikitext-2/wiki.test.tokens", "names"),
                   "needs RNN_DATA_DIR with tinyshakespeare, wikitext-2 and names"))
    func resolveFindsTheSharedSetsAndFiles() throws {
        let dir = try #require(SharedData.directory)
        #expect(try DataCatalog.resolve("tinyshakespeare") == "\(dir)/tinyshakespeare/input.txt")
        #expect(try DataCatalog.resolve("wikitext-2/wiki.test.tokens") == "\(dir)/wikitext-2/wiki.test.tokens")
        #expect(try DataCatalog.resolve("names") == "\(dir)/names")      // one file per class: the folder
        #expect(try ClassificationData.read(try DataCatalog.resolve("names")).count == 20_074)
    }

    @Test func resolveExplainsMissingSets() throws {
        do {
            _ = try DataCatalog.resolve("names-that-do-not-exist")
            Issue.record("resolved a missing set")
        } catch let e as DataError {
            #expect(e.description.contains("not a known data set"))
        }
        let missing = DataCatalog.missingMessage(DataCatalog.entry("tinyshakespeare")!)
        #expect(missing.contains("rnn data fetch tinyshakespeare") && missing.contains("RNN_DATA_DIR"))
    }
}
