import Foundation
import Testing
@testable import Recurrent

/// Corpus BLEU, its 13a tokenization and chrF agree with sacreBLEU
/// (fixtures from Scripts/make_bleu_fixtures.py) to 0.01.
@Suite struct BLEUTests {
    struct Fixture: Decodable {
        struct Tokenized: Decodable { let line: String; let tokens: String }
        struct Case: Decodable {
            let name: String
            let hypotheses: [String], references: [String]
            let bleu: Double, chrf: Double
            let bleu_precisions: [Double]
            let bleu_bp: Double
        }
        let tokenize13a: [Tokenized]
        let cases: [Case]
    }

    static func load() throws -> Fixture {
        guard let url = Bundle.module.url(forResource: "bleu", withExtension: "json", subdirectory: "Fixtures") else {
            throw DataError.empty(path: "Fixtures/bleu.json")
        }
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test("13a tokenization matches sacreBLEU's")
    func tokenization() throws {
        for t in try Self.load().tokenize13a {
            #expect(BLEU.tokenize13a(t.line) == t.tokens, "\(t.line.debugDescription)")
        }
    }

    @Test("corpus BLEU, its precisions and brevity penalty, and chrF match sacreBLEU to 0.01")
    func scores() throws {
        for c in try Self.load().cases {
            let bleu = BLEU(hypotheses: c.hypotheses, references: c.references)
            #expect(abs(bleu.score - c.bleu) < 0.01, "\(c.name): BLEU \(bleu.score), sacreBLEU \(c.bleu)")
            #expect(abs(bleu.brevityPenalty - c.bleu_bp) < 1e-4, "\(c.name): BP \(bleu.brevityPenalty) vs \(c.bleu_bp)")
            for (a, b) in zip(bleu.precisions, c.bleu_precisions) { #expect(abs(a - b) < 0.01, "\(c.name): precision \(a) vs \(b)") }
            let chrf = ChrF(hypotheses: c.hypotheses, references: c.references)
            #expect(abs(chrf.score - c.chrf) < 0.01, "\(c.name): chrF \(chrf.score), sacreBLEU \(c.chrf)")
        }
    }
}
