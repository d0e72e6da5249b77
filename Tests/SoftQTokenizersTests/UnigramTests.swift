import Foundation
import XCTest
@testable import SoftQTokenizers

/// The Unigram model: parity with Hugging Face `tokenizers` on vocabularies its UnigramTrainer
/// made (Scripts/reference/make_tokenizer_fixtures.py), and the lattice rules on pieces whose
/// best paths can be worked out by hand.
final class UnigramTests: XCTestCase {
    func testTrainedUnigramMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("unigram-style.json"))
        XCTAssertEqual(tok.vocabularySize, 1200)
        XCTAssertNil(tok.model.bpe)
        try check(tok, "cases-unigram-style.jsonl", roundTrip: false)
    }

    /// byte_fallback for unknown runs, the byte pieces lowering the unk score, and scores
    /// rounded so that many paths tie.
    func testByteFallbackAndTiesMatchHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("unigram-fallback-style.json"))
        let ids = tok.encode("\u{1F600}")
        XCTAssertEqual(try tok.pieces(Array(ids.suffix(4))), ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>"])
        try check(tok, "cases-unigram-fallback-style.jsonl", roundTrip: false)
    }

    /// Scores are read as Hugging Face's JSON reader reads them: 9507215217738233 exceeds 2⁵³,
    /// so it is rounded to a Double before the division by 10¹⁵, which lands one unit in the last
    /// place above the correctly rounded −9.507215217738233. That bit decided a tie in the
    /// trained fixture ("555" → "55" + "5" rather than "5" + "55").
    func testScoresAreReadAsHuggingFaceReadsThem() {
        XCTAssertEqual(UnigramModel.hfScore(-9.507215217738233), (-9.507215217738233).nextUp)
        for exact in [-9.0, -0.5, -12.25, 0, -3.8281828616, -1e-5] {
            XCTAssertEqual(UnigramModel.hfScore(exact), exact, "\(exact): few digits read exactly")
        }
    }

    func unigram(_ pieces: [(String, Double)], unk: Int? = 0, byteFallback: Bool = false) throws -> Tokenizer {
        let vocab = pieces.map { "[\(String(reflecting: $0.0)), \($0.1)]" }.joined(separator: ", ")
        let unkField = unk.map { "\"unk_id\": \($0), " } ?? ""
        return try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "Unigram", \#(unkField)"byte_fallback": \#(byteFallback), "vocab": [\#(vocab)]}}"#.utf8))
    }

    func testViterbiPicksTheBestSumAndTheFirstOfEqualPaths() throws {
        let tok = try unigram([("<unk>", 0), ("a", -1), ("b", -1), ("ab", -1.5), ("c", -3), ("bc", -2.5)])
        // abab: ab+ab = −3 beats a+b+a+b = −4.
        XCTAssertEqual(tok.encode("abab"), [3, 3])
        // abc: ab+c = −4.5, a+bc = −3.5, a+b+c = −5 → a, bc.
        XCTAssertEqual(tok.encode("abc"), [1, 5])
        let tie = try unigram([("<unk>", 0), ("a", -1), ("b", -1), ("ab", -2)])
        // a+b and ab both sum to −2: the path found first (ab, from position 0) stays.
        XCTAssertEqual(tie.encode("ab"), [3])
    }

    func testUnknownCharactersAreFusedThenSpelledInBytes() throws {
        // Lowest score −2, so an unknown character costs −12.
        let pieces: [(String, Double)] = [("<unk>", 0), ("a", -1), ("<0xC3>", -2), ("<0xA9>", -2)]
        let plain = try unigram(pieces)
        XCTAssertEqual(plain.encode("a\u{E9}\u{E9}a"), [1, 0, 1], "two unknown characters are one unk")
        let fallback = try unigram(pieces, byteFallback: true)
        XCTAssertEqual(fallback.encode("a\u{E9}\u{E9}a"), [1, 2, 3, 2, 3, 1])
        XCTAssertEqual(fallback.encode("\u{E8}"), [0], "a byte without its piece: the run stays unk")
    }

    func testUnigramErrorsNameTheField() {
        XCTAssertThrowsError(try unigram([("a", -1)], unk: nil)) { e in
            guard case .unsupportedStage(let path, "Unigram", _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, "model.unk_id")
        }
        XCTAssertThrowsError(try unigram([("a", -1)], unk: 1)) { e in
            XCTAssertEqual(e as? TokenizerError, .invalidField(path: "model.unk_id", expected: "an id below 1", actual: "1"))
        }
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", -1], ["b"]]}}"#.utf8))) { e in
            XCTAssertEqual(e as? TokenizerError, .invalidField(path: "model.vocab[1]", expected: "[piece, score]", actual: "array"))
        }
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", "x"]]}}"#.utf8))) { e in
            XCTAssertEqual(e as? TokenizerError, .invalidField(path: "model.vocab[0][1]", expected: "a finite number", actual: "string"))
        }
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "Unigram", "unk_id": 0, "vocab": []}}"#.utf8))) { e in
            XCTAssertEqual(e as? TokenizerError, .emptyVocabulary(source: "model.vocab"))
        }
    }
}
