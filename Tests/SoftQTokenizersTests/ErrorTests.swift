import Foundation
import XCTest
@testable import SoftQTokenizers

/// Bad input must fail with an error naming the place, never crash or approximate.
final class ErrorTests: XCTestCase {
    static let minimal = #"""
    {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]},
     "pre_tokenizer": PRE, "decoder": {"type": "ByteLevel"}}
    """#

    func make(pre: String = "null", edit: (String) -> String = { $0 }) throws -> Tokenizer {
        try Tokenizer(tokenizerJSON: Data(edit(ErrorTests.minimal.replacingOccurrences(of: "PRE", with: pre)).utf8))
    }

    func expect(_ expected: TokenizerError, _ body: () throws -> Any, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { e in
            XCTAssertEqual(e as? TokenizerError, expected, line: line)
            XCTAssertFalse("\(e)".isEmpty)
        }
    }

    func testMinimalTokenizerWorks() throws {
        let tok = try make()
        XCTAssertEqual(tok.encode("abba"), [2, 1, 0])
        XCTAssertEqual(try tok.decode([2, 1, 0]), "abba")
        XCTAssertEqual(tok.vocabularySize, 3)
    }

    func testMalformedJSON() {
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "BPE",}"#.utf8))) { e in
            guard case .malformedJSON(let offset, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(offset, 26)
        }
        expect(.invalidField(path: "(root)", expected: "object", actual: "array")) { try Tokenizer(tokenizerJSON: Data("[]".utf8)) }
        expect(.invalidField(path: "model", expected: "a value", actual: "nothing")) { try Tokenizer(tokenizerJSON: Data("{}".utf8)) }
        expect(.invalidField(path: "model.vocab.b", expected: "integer", actual: "string")) {
            try self.make { $0.replacingOccurrences(of: #""b": 1"#, with: #""b": "1""#) }
        }
    }

    func testUnknownStageTypesAreNamed() {
        expect(.unsupportedStage(path: "pre_tokenizer", type: "Whitespace", hint: "supported pre-tokenizers: Sequence, Split, Digits, ByteLevel, Metaspace")) {
            try self.make(pre: #"{"type": "Whitespace"}"#)
        }
        // Metaspace rewrites the text, so it may only lead a sequence.
        expect(.unsupportedStage(path: "pre_tokenizer.pretokenizers[1]", type: "Metaspace", hint: "Metaspace is supported as the first pre-tokenizer only")) {
            try self.make(pre: #"{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Metaspace"}]}"#)
        }
        expect(.invalidField(path: "pre_tokenizer.prepend_scheme", expected: "always, first or never", actual: "\"sometimes\"")) {
            try self.make(pre: #"{"type": "Metaspace", "prepend_scheme": "sometimes"}"#)
        }
        expect(.unsupportedStage(path: "pre_tokenizer.behavior", type: "Split",
                                 hint: "behavior Sideways is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous")) {
            try self.make(pre: #"{"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}"#)
        }
        expect(.unsupportedStage(path: "model", type: "WordPiece", hint: "softq implements the BPE and Unigram models")) {
            try self.make { $0.replacingOccurrences(of: #""type": "BPE""#, with: #""type": "WordPiece""#) }
        }
        // A Unigram model's vocabulary is a list of [piece, score], not BPE's object.
        expect(.invalidField(path: "model.vocab", expected: "array of [piece, score]", actual: "object")) {
            try self.make { $0.replacingOccurrences(of: #""type": "BPE""#, with: #""type": "Unigram""#) }
        }
        XCTAssertThrowsError(try make { $0.replacingOccurrences(of: #""decoder": {"type": "ByteLevel"}"#, with: #""decoder": {"type": "WordPiece"}"#) }) { e in
            guard case .unsupportedStage(_, let type, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(type, "WordPiece")
        }
        XCTAssertThrowsError(try make(pre: #"{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated", "invert": false}"#)) { e in
            guard case .unsupportedStage(let path, "Split", _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, "pre_tokenizer.pattern.Regex")
        }
    }

    func testMissingAndBadMerges() {
        expect(.missingMerges(path: "model.merges")) { try self.make { $0.replacingOccurrences(of: #", "merges": [["a", "b"]]"#, with: "") } }
        expect(.mergeOutOfVocabulary(path: "model.merges[0]", token: "c")) {
            try self.make { $0.replacingOccurrences(of: #"["a", "b"]"#, with: #"["a", "c"]"#) }
        }
        expect(.mergeOutOfVocabulary(path: "model.merges[0]", token: "ba")) {
            try self.make { $0.replacingOccurrences(of: #"["a", "b"]"#, with: #""b a""#) }
        }
        expect(.missingMerges(path: "merges.txt")) { try Tokenizer(vocabJSON: Data(#"{"a": 0}"#.utf8), merges: "#version: 0.2\n") }
    }

    /// No token at all would encode every text to nothing: a load error, naming the file when
    /// it is loaded from one. One added token is a vocabulary.
    func testEmptyVocabularyIsALoadError() throws {
        let empty = #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": []}"#
        expect(.emptyVocabulary(source: "model.vocab")) { try Tokenizer(tokenizerJSON: Data(empty.utf8)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("softq-empty-vocab-\(UUID().uuidString).json")
        try Data(empty.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        expect(.emptyVocabulary(source: url.path)) { try Tokenizer(contentsOf: url.path) }
        XCTAssertTrue("\(TokenizerError.emptyVocabulary(source: url.path))".contains(url.path))
        let oneAdded = #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": [{"id": 0, "content": "<s>", "special": true}]}"#
        XCTAssertEqual(try Tokenizer(tokenizerJSON: Data(oneAdded.utf8)).vocabularySize, 1)
    }

    func testIdOutOfRangeWhenDecoding() throws {
        let tok = try make()
        expect(.idOutOfRange(id: 3, vocabularySize: 3)) { try tok.decode([0, 3]) }
        expect(.idOutOfRange(id: -1, vocabularySize: 3)) { try tok.pieces([-1]) }
        expect(.idOutOfRange(id: 99, vocabularySize: 3)) { try tok.tokenDisplay(99) }
    }

    /// Pieces are told apart byte for byte: "é" (U+00E9) is not the piece "e" + U+0301, which
    /// Swift's String equality (canonical equivalence) would take it for.
    func testCanonicallyEquivalentPiecesStayDistinct() throws {
        let json = #"{"model": {"type": "BPE", "byte_fallback": true, "vocab": {"e\u0301": 0, "<0xC3>": 1, "<0xA9>": 2, "\u00e9x": 3, "x": 4}, "merges": []}}"#
        let tok = try Tokenizer(tokenizerJSON: Data(json.utf8))
        XCTAssertEqual(tok.encode("\u{E9}"), [1, 2])
        XCTAssertEqual(tok.encode("e\u{301}"), [])  // neither scalar has a piece or byte pieces
        XCTAssertEqual(tok.id(forToken: "\u{E9}x"), 3)
        XCTAssertNil(tok.id(forToken: "e\u{301}x"))
    }
}
