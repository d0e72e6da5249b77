import Foundation
import SoftQBase
import SoftQScoring
import TestSupport
import XCTest

/// Line handling and the conversational shapes of the pair reader (docs/spec/outputs.md, "Inputs").
final class InputLineTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestPaths.temporaryDirectory("softq-lines") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent("pairs.jsonl")
        try Data(bytes).write(to: url)
        return url.path
    }

    let line = Array(#"{"prompt": "p", "chosen": "a", "rejected": "b"}"#.utf8)

    func testCRLFAndByteOrderMark() throws {
        let path = try write([0xEF, 0xBB, 0xBF] + line + [0x0D, 0x0A] + line + [0x0D, 0x0A, 0x0D, 0x0A] + line)
        let (pairs, skipped) = try InputReader.readPairs(path: path, skipInvalid: false)
        XCTAssertEqual(pairs.map(\.line), [1, 2, 4])
        XCTAssertEqual(skipped, [])
        XCTAssertEqual(pairs[0].content, .text(prompt: "p", chosen: "a", rejected: "b"))
    }

    func testInvalidUTF8IsAnErrorOfItsLineAndCanBeSkipped() throws {
        let bad = Array(#"{"prompt": "p"#.utf8) + [0xC3, 0x28] + Array(#"", "chosen": "a", "rejected": "b"}"#.utf8)
        let path = try write(line + [0x0A] + bad + [0x0A] + line + [0x0A])
        XCTAssertThrowsError(try InputReader.readPairs(path: path, skipInvalid: false)) { e in
            XCTAssertEqual("\(e)", "\(path):2: not valid UTF-8 (byte 14 of the line)")
        }
        let (pairs, skipped) = try InputReader.readPairs(path: path, skipInvalid: true)
        XCTAssertEqual(pairs.map(\.line), [1, 3])
        XCTAssertEqual(skipped.map(\.line), [2])
        let (responses, rs) = try InputReader.readResponses(path: path, skipInvalid: true)
        XCTAssertEqual(responses.count, 0)
        XCTAssertEqual(rs.map(\.line), [1, 2, 3])
    }

    func msg(_ role: String, _ content: String) -> JSONValue { .object([("role", .string(role)), ("content", .string(content))]) }

    func testTRLConversationalFormat() throws {
        let text = #"{"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "good"}], "rejected": [{"role": "assistant", "content": "bad"}]}"#
        let rec = try InputReader.parsePair(text, line: 1, file: "f")
        XCTAssertEqual(rec.content, .conversation(prompt: [msg("system", "s"), msg("user", "q")], chosen: [msg("assistant", "good")], rejected: [msg("assistant", "bad")]))
        XCTAssertTrue(rec.isConversational)
    }

    func testFullConversationsSplitAtTheirSharedPrefix() throws {
        let text = #"{"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "good"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "bad"}]}"#
        let rec = try InputReader.parsePair(text, line: 3, file: "f")
        XCTAssertEqual(rec.content, .conversation(prompt: [msg("user", "q"), msg("assistant", "a1"), msg("user", "q2")],
                                                  chosen: [msg("assistant", "good")], rejected: [msg("assistant", "bad")]))
    }

    func testConversationErrorsNameTheLineAndField() throws {
        func err(_ text: String) -> String {
            do { _ = try InputReader.parsePair(text, line: 7, file: "f"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(err(#"{"chosen": [{"role": "user", "content": "a"}], "rejected": [{"role": "user", "content": "b"}]}"#),
                       "f:7: field 'chosen': no 'prompt' field, and the two conversations share no leading message to serve as the prompt")
        XCTAssertEqual(err(#"{"chosen": [{"role": "user", "content": "q"}, {"role": "user", "content": "x"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "y"}]}"#),
                       "f:7: field 'chosen': the conversations differ first at message 1, a 'user' turn; the response must start with an assistant turn")
        XCTAssertEqual(err(#"{"prompt": [{"role": "user", "content": "q"}], "chosen": [{"content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}"#),
                       "f:7: field 'chosen': message 0 has no string 'role'")
        XCTAssertEqual(err(#"{"prompt": [{"role": "user", "content": "q"}], "chosen": "x", "rejected": [{"role": "assistant", "content": "y"}]}"#),
                       "f:7: field 'chosen': expected a list of messages, found string")
        XCTAssertEqual(err(#"{"prompt": [{"role": "user", "content": 5}], "chosen": [{"role": "assistant", "content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}"#),
                       "f:7: field 'prompt': message 0: 'content' must be a string, a list of parts or null, found number")
    }

    func testConversationalExtractLines() throws {
        let r = try InputReader.parseResponse(#"{"prompt": [{"role": "user", "content": "q"}], "response": "a"}"#, line: 1, file: "f")
        XCTAssertEqual(r.content, .conversation(prompt: [msg("user", "q")], response: [msg("assistant", "a")]))
    }
}
