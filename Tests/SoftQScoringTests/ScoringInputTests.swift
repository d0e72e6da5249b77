import Foundation
import SoftQBase
import SoftQScoring
import TestSupport
import XCTest

final class ScoringInputTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestPaths.temporaryDirectory("softq-scoring") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func file(_ lines: [String]) throws -> String {
        let url = dir.appendingPathComponent("pairs.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func errorText(_ lines: [String], policy: LoadedPolicy? = nil) throws -> String {
        let path = try file(lines)
        do {
            let (records, _) = try InputReader.readPairs(path: path, skipInvalid: false)
            if let policy {
                let tp = try policy.tokenizationPolicy(appendEOS: false, inputPath: path)
                for r in records { _ = try tp.prepare(r) }
            }
            return "no error"
        } catch {
            return "\(error)".replacingOccurrences(of: path, with: "pairs.jsonl")
        }
    }

    func testEachBadLineNamesFileLineAndField() throws {
        let ok = #"{"prompt": "p", "chosen": "a", "rejected": "b"}"#
        XCTAssertEqual(try errorText([ok, #"{"prompt": "p", "chosen": "a""#]),
                       "pairs.jsonl:2: invalid JSON at column 30: unterminated object")
        XCTAssertEqual(try errorText([#"{"prompt": "p", "chosen": "a"}"#]), "pairs.jsonl:1: field 'rejected': missing")
        XCTAssertEqual(try errorText([#"{"prompt": "p", "chosen": "", "rejected": "b"}"#]), "pairs.jsonl:1: field 'chosen': empty response")
        XCTAssertEqual(try errorText([#"{"prompt": 3, "chosen": "a", "rejected": "b"}"#]), "pairs.jsonl:1: field 'prompt': expected a string, found number")
        XCTAssertEqual(try errorText([#"[1, 2]"#]), "pairs.jsonl:1: expected a JSON object, found array")
        XCTAssertEqual(try errorText([#"{"prompt_ids": [0], "chosen_ids": [1, "x"], "rejected_ids": [2]}"#]),
                       "pairs.jsonl:1: field 'chosen_ids': element 1 is not a non-negative integer token id")
        XCTAssertEqual(try errorText([ok.replacingOccurrences(of: "{", with: #"{"id": "x", "#), ok.replacingOccurrences(of: "{", with: #"{"id": "x", "#)]),
                       "pairs.jsonl:2: field 'id': duplicate id 'x'")
        XCTAssertEqual(try errorText([#"{"chosen": "Human: hi", "rejected": "Human: ho"}"#]),
                       #"pairs.jsonl:1: field 'chosen': no 'prompt' field, and the transcripts share no assistant-turn marker ("\n\nAssistant:", "<|im_start|>assistant\n", "<|assistant|>\n", "<|assistant|>", "[/INST]") to split the prompt at"#)
    }

    func testModelLevelErrors() throws {
        let policy = try loadPolicy("gpt2_tiny")  // vocabulary 61, context 32
        XCTAssertEqual(try errorText([#"{"prompt_ids": [0], "chosen_ids": [61], "rejected_ids": [2]}"#], policy: policy),
                       "pairs.jsonl:1: field 'chosen_ids': token id 61 is out of the model's vocabulary (0..<61)")
        let long = "[" + Array(repeating: "3", count: 40).joined(separator: ",") + "]"
        XCTAssertEqual(try errorText([#"{"prompt_ids": [0, 1], "chosen_ids": [2], "rejected_ids": \#(long)}"#], policy: policy),
                       "pairs.jsonl:1: field 'rejected_ids': prompt (2 tokens) + response (40 tokens) = 42 tokens exceeds the model's context of 32; softq does not truncate")
        XCTAssertEqual(try errorText([#"{"prompt": "x", "chosen": "a", "rejected": "b"}"#], policy: policy),
                       "pairs.jsonl:1: field 'prompt': text input needs a tokenizer: the checkpoint embeds none; pass --tokenizer FILE or give prompt_ids/chosen_ids/rejected_ids")
        XCTAssertThrowsError(try policy.checkCompatible(reference: try loadPolicy("llama_gqa_tied"))) { e in
            XCTAssert("\(e)".contains("the reference model's vocabulary (67) differs from the policy's (61); both must share the tokenizer"), "\(e)")
        }
    }

    func testSkipInvalidCountsAndReportsEveryBadLine() throws {
        let path = try file([
            #"{"prompt": "p", "chosen": "a", "rejected": "b"}"#,
            #"not json"#,
            "",
            #"{"prompt": "p", "chosen": "a"}"#,
            #"{"prompt": "q", "chosen": "c", "rejected": "d"}"#,
        ])
        let (records, skipped) = try InputReader.readPairs(path: path, skipInvalid: true)
        XCTAssertEqual(records.map(\.line), [1, 5])
        XCTAssertEqual(skipped.map(\.line), [2, 4])
        XCTAssertEqual(skipped.map(\.field), [nil, "rejected"])
    }

    /// `softq sample` output (prompt_ids + token_ids + text) reads as `softq extract` input, ids verbatim.
    func testSampleOutputIsExtractInput() throws {
        let path = try file([#"{"prompt_id": "p1", "sample": 0, "text": "x", "prompt_ids": [0, 5], "token_ids": [7, 1], "tokens": 2}"#])
        let (records, skipped) = try InputReader.readResponses(path: path, skipInvalid: false)
        XCTAssertEqual(skipped, [])
        XCTAssertEqual(records.first?.content, .ids(prompt: [0, 5], response: [7, 1]))
        XCTAssertEqual(records.first?.id, "p1/0")
    }

    func testTranscriptsSplitAtTheLastSharedAssistantTurn() throws {
        let c = "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: 6."
        let r = "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: I don't know."
        let (p, cc, rr) = try InputReader.splitTranscripts(c, r, line: 1, file: "f")
        XCTAssertEqual(p, "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant:")
        XCTAssertEqual(cc, " 6.")
        XCTAssertEqual(rr, " I don't know.")
        XCTAssertEqual(p + cc, c)
    }
}
