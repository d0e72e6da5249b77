import Foundation
import SoftQBase
import XCTest
@testable import SoftQTokenizers

/// The byte scan of `model.vocab` / `model.merges` (LargeMemberScan) builds what the ordinary
/// reader builds, and leaves every error to it.
final class LargeMemberScanTests: XCTestCase {
    func testScanEqualsTheOrdinaryReader() throws {
        // Merges as pairs (llama3-style), as "a b" strings (qwen2-style), and a SentencePiece
        // vocabulary with escapes such as "\n" pieces (llama2-style).
        for name in ["llama3-style.json", "qwen2-style.json", "llama2-style.json", "gemma-style.json"] {
            let data = try fixtureData(name)
            let scan = try XCTUnwrap(LargeMemberScan(data), name)
            let fast = try XCTUnwrap(try Tokenizer(tokenizerJSON: data).model.bpe)
            let root = JField(node: try parseTokenizerJSON(data), path: "")
            let slow = try BPEModel.read(try root.required("model"))
            XCTAssertEqual(fast.idToToken, slow.idToToken, name)
            XCTAssertEqual(scan.merges.count, (try root.required("model").required("merges").array()).count, name)
            XCTAssertEqual(fast.merges.count, slow.merges.count, name)
            for (key, m) in slow.merges {
                XCTAssertEqual(fast.merges[key].map { [$0.rank, $0.id] }, [m.rank, m.id], name)
            }
            // The blanked remainder parses to the same document without the two members.
            let rest = try parseTokenizerJSON(scan.remainder)
            XCTAssertEqual(rest["model"]?["vocab"], .null)
            XCTAssertEqual(rest["normalizer"], try parseTokenizerJSON(data)["normalizer"])
            XCTAssertEqual(scan.remainder.count, data.count)
        }
    }

    /// A syntax error after the vocabulary (here: after the whole object, which the scan does
    /// not look at) is reported at its offset in the real file.
    func testErrorsKeepTheirPositions() throws {
        let text = String(decoding: try fixtureData("llama3-style.json"), as: UTF8.self) + " ,"
        XCTAssertNotNil(LargeMemberScan(Data(text.utf8)))
        var expected = 0
        XCTAssertThrowsError(try JSONParser.parse(text)) { e in expected = (e as? JSONParseError)?.column ?? -1 }
        XCTAssertGreaterThan(expected, text.utf8.count / 2, "the error lies after the vocabulary")
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(text.utf8))) { e in
            guard case .malformedJSON(let got, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(got, expected)
        }
    }

    /// What the scan does not accept falls back to the ordinary reader and its errors.
    func testUnusualFilesFallBack() throws {
        let base = #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}"#
        XCTAssertNotNil(LargeMemberScan(Data(base.utf8)))
        for edited in [
            base.replacingOccurrences(of: #""b": 1"#, with: #""b": 1.0"#),            // not a plain integer
            base.replacingOccurrences(of: #""ab": 2"#, with: #""ab": 2, "a": 3"#),    // duplicate piece
            base.replacingOccurrences(of: #"["a", "b"]"#, with: #"["a", "c"]"#),      // merge outside the vocabulary
            base.replacingOccurrences(of: #""merges""#, with: #""vocab": {}, "merges""#), // vocab twice
            base.replacingOccurrences(of: #"]]}}"#, with: #"]]}"#),                    // truncated
            base.replacingOccurrences(of: #""BPE""#, with: #""Unigram""#),            // not a BPE model
        ] {
            XCTAssertNil(LargeMemberScan(Data(edited.utf8)), edited)
        }
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data(base.replacingOccurrences(of: #""b": 1"#, with: #""b": 1.0"#).utf8))) { e in
            XCTAssertEqual(e as? TokenizerError, .invalidField(path: "model.vocab.b", expected: "integer", actual: "number"))
        }
        // Later duplicates win in JSON objects: the ordinary reader keeps "a" → 3.
        let dup = try Tokenizer(tokenizerJSON: Data(base.replacingOccurrences(of: #""ab": 2"#, with: #""ab": 2, "a": 3"#).utf8))
        XCTAssertEqual(dup.id(forToken: "a"), 3)
    }
}
