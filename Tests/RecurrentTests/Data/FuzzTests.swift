import Foundation
import Testing
@testable import Recurrent

/// Seeded random mutation of valid inputs: every reader either accepts the
/// bytes or throws its typed error; none may crash, hang or read out of
/// bounds (a crash fails the whole test run). `RNN_FUZZ_CASES` sets the number
/// of cases per reader (default 10,000).
@Suite struct FuzzTests {
    static let cases = Int(ProcessInfo.processInfo.environment["RNN_FUZZ_CASES"] ?? "") ?? 10_000

    /// One random edit: flip bits, overwrite, insert, delete, duplicate a span, truncate, or splice in a token.
    static func mutate(_ input: [UInt8], _ rng: inout SeededRNG, tokens: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0...rng.nextInt(below: 4) {
            let at = b.isEmpty ? 0 : rng.nextInt(below: b.count)
            switch rng.nextInt(below: 7) {
            case 0 where !b.isEmpty: b[at] ^= UInt8(1 << rng.nextInt(below: 8))
            case 1 where !b.isEmpty: b[at] = UInt8(rng.nextInt(below: 256))
            case 2: b.insert(UInt8(rng.nextInt(below: 256)), at: at)
            case 3 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + rng.nextInt(below: 16)))
            case 4 where !b.isEmpty:
                let span = b[at..<min(b.count, at + 1 + rng.nextInt(below: 32))]
                b.insert(contentsOf: span, at: rng.nextInt(below: b.count))
            case 5: b = Array(b.prefix(rng.nextInt(below: b.count + 1)))
            default: b.insert(contentsOf: tokens[rng.nextInt(below: tokens.count)], at: at)
            }
        }
        return b
    }

    static func run(_ name: String, seeds: [[UInt8]], tokens: [String], seed: UInt64, _ body: ([UInt8]) throws -> Void) {
        var rng = SeededRNG(seed: seed)
        let toks = tokens.map { Array($0.utf8) }
        var accepted = 0, refused = 0
        for _ in 0..<cases {
            let input = mutate(seeds[rng.nextInt(below: seeds.count)], &rng, tokens: toks)
            do {
                try body(input)
                accepted += 1
            } catch is DataError { refused += 1 } catch is SafeTensorsError { refused += 1 } catch is CheckpointError { refused += 1 } catch {
                Issue.record("\(name): untyped error \(error) for input \(input.prefix(64))")
            }
        }
        #expect(accepted + refused == cases)
        #expect(refused > 0, "\(name): the mutations never produced a bad input")
    }

    @Test func safetensorsReaderSurvivesMutations() throws {
        let good = SafeTensorsFile.encode([("a", randomTensor([2, 3], seed: 1)), ("b", randomTensor([4], seed: 2))], metadata: ["kind": "x"])
        let model = try Data(contentsOf: URL(fileURLWithPath: fixturePath("interop_torch_lm")))
        Self.run("safetensors", seeds: [Array(good), Array(model.prefix(4096))],
                 tokens: ["\"data_offsets\":[0,99999999]", "\"dtype\":\"F16\"", "\"shape\":[-1]", "{", "}", "\"", "[", "]", ",", "1e999", "\u{0}"],
                 seed: 11) { bytes in
            let file = try SafeTensorsFile(bytes: Data(bytes), path: "fuzz.safetensors")
            for name in file.names { _ = try? file.tensor(name) }
            let path = NSTemporaryDirectory() + "fuzz-\(getpid()).safetensors"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            _ = try? LanguageModel(contentsOf: path)
        }
    }

    @Test func conlluReaderSurvivesMutations() {
        let seed = """
        # text = Hi there.
        1-2\tHi'\t_\t_\t_\t_\t_\t_\t_\t_
        1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
        2\tthere\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_
        2.1\tx\t_\t_\t_\t_\t_\t_\t_\t_
        3\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_

        """
        Self.run("conllu", seeds: [Array(seed.utf8)], tokens: ["\t", "\n", "-", ".", "#", "\r\n", "99999999999999999999", "\u{FEFF}"], seed: 12) { bytes in
            let text = try TextFile.decode(Data(bytes), path: "fuzz.conllu")
            _ = try CoNLLU.sentences(text, path: "fuzz.conllu")
        }
    }

    @Test func delimitedReaderSurvivesMutations() {
        let tsv = "sentence\tlabel\nit is good\t1\nbad\t0\n", csv = "text,label\n\"a, \"\"b\"\"\",pos\nplain,neg\n"
        Self.run("tsv/csv", seeds: [Array(tsv.utf8), Array(csv.utf8)], tokens: ["\t", ",", "\"", "\n", "\r\n", "label", "\u{FEFF}"], seed: 13) { bytes in
            for path in ["fuzz.tsv", "fuzz.csv"] {
                let file = NSTemporaryDirectory() + "fuzz-\(getpid())-" + path
                try Data(bytes).write(to: URL(fileURLWithPath: file))
                _ = try ClassificationData.read(file)
            }
        }
    }

    @Test func textAndVocabularySurviveMutations() {
        let seed = "First Citizen:\nBefore we proceed any further, hear me speak.\nAll: Speak, speak.\n"
        Self.run("text", seeds: [Array(seed.utf8), [0xEF, 0xBB, 0xBF] + Array(seed.utf8)], tokens: ["\u{FEFF}", "\r\n", "é", "\u{0}"], seed: 14) { bytes in
            let text = try TextFile.decode(Data(bytes), path: "fuzz.txt")
            for level in TextLevel.allCases {
                let corpus = LanguageModelCorpus(train: text, valid: text, level: level)
                #expect(corpus.train.allSatisfy { $0 >= 0 && $0 < corpus.vocabulary.count })
            }
        }
    }
}

extension FuzzTests {
    @Test func tsReaderSurvivesMutations() {
        let seed = """
        # comment
        @problemName Toy
        @missing true
        @univariate false
        @dimensions 2
        @equalLength false
        @seriesLength 3
        @classLabel true up down
        @data
        1,2,3:10,20,30:up
        3,?,1:30,20,10:down

        """
        Self.run(".ts", seeds: [Array(seed.utf8)], tokens: [":", ",", "?", "@data", "@equalLength true", "@dimensions 99999999999999999999", "@missing false",
                                                            "NaN", "inf", "1e39", "\n", "#", "@classLabel false", "-0"], seed: 15) { bytes in
            let text = try TextFile.decode(Data(bytes), path: "fuzz.ts")
            let set = try TSFile.parse(text, path: "fuzz.ts")
            for c in set.cases {
                #expect(c.values.count == c.length * c.channels && c.channels == set.channels && c.length >= 1)
                #expect(c.values.allSatisfy { $0.isFinite || $0.isNaN })
            }
            let scaling = ChannelScaling.fit(set.cases, channels: set.channels)
            for c in set.cases { _ = try scaling.encode(c, missing: .mask, patch: 2) }
        }
    }

    @Test func numericCSVReadersSurviveMutations() {
        let long = "id,time,x,y,label\na,0,1,2,up\na,1,3,,up\nb,0,5,6,down\n", wide = "label,v1,v2\nup,1,2\ndown,3,?\n"
        let series = "Date,Passengers\n1949-01,112\n1949-02,118\n"
        Self.run("numeric csv", seeds: [Array(long.utf8), Array(wide.utf8), Array(series.utf8)],
                 tokens: [",", "\"", "\n", "?", "NaN", "inf", "id", "label", "\r\n", "1e39"], seed: 16) { bytes in
            let text = try TextFile.decode(Data(bytes), path: "fuzz.csv")
            var refused: DataError? = nil
            for read in [{ _ = try TimeSeriesCSV.parseLong(text, path: "fuzz.csv", idColumn: "1") },
                         { _ = try TimeSeriesCSV.parseWide(text, path: "fuzz.csv") },
                         { _ = try TimeSeriesCSV.parseSeries(text, path: "fuzz.csv") }] as [() throws -> Void] {
                do { try read() } catch let e as DataError { refused = e }
            }
            if let refused { throw refused }
        }
    }
}
