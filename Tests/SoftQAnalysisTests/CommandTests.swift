import Foundation
import SoftQBase
import TestSupport
import XCTest

/// The analysis commands end to end through the built `softq` executable, on the tiny GPT-2
/// of SoftQScoringTests with token-id pairs (skipped when the executable was not built).
final class CommandTests: XCTestCase {
    var model: String { TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQScoringTests/Fixtures/gpt2_tiny_ref.h5").path }

    func writePairs(_ dir: URL) throws -> String {
        var rng = SeededGenerator(seed: 5)
        func ids(_ n: Int) -> String { (0..<n).map { _ in String(2 + rng.nextInt(below: 59)) }.joined(separator: ",") }
        var text = ""
        for k in 0..<8 {
            text += "{\"id\":\"p\(k)\",\"prompt_ids\":[0,\(ids(3))],\"chosen_ids\":[\(ids(4 + k % 4)),1],\"rejected_ids\":[\(ids(5)),1]}\n"
        }
        let url = dir.appendingPathComponent("pairs.jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func run(_ args: [String]) throws -> String {
        guard let exe = TestPaths.softqExecutable else { throw XCTSkip("softq executable not built") }
        let (status, out, err) = try runProcess(exe.path, args)
        XCTAssertEqual(status, 0, err)
        return out
    }

    func json(_ url: URL) throws -> JSONValue { try JSONParser.parse(String(contentsOf: url, encoding: .utf8)) }

    /// Each analysis writes a run directory of its own, never the directory holding its input.
    func testRobustnessLengthSensitivityAndStabilityCommandsWriteTheirFiles() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pairs = try writePairs(dir)
        let common = ["--pairs", pairs, "--bootstrap-samples", "50"]
        let out = try run(["robustness", "--checkpoint", model, "--out", dir.appendingPathComponent("rob").path, "--perturbation", "shuffle_tokens=0.5",
                           "--perturbation", "truncate"] + common)
        XCTAssertTrue(out.contains("shuffle_tokens"), out)
        let rob = try json(dir.appendingPathComponent("rob/robustness.json"))
        XCTAssertEqual(rob["n_pairs"]?.intValue, 8)
        XCTAssertEqual(rob["perturbations"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" },
                       ["shuffle_tokens", "truncate", "truncate", "truncate"])   // selection order
        XCTAssertEqual(rob["perturbations"]?.arrayValue?.first?["n"]?.intValue, 8)
        XCTAssertEqual(rob["perturbations"]?.arrayValue?.last?["skipped"]?.intValue, 8)   // no text in id pairs
        XCTAssertNotNil(rob["provenance"]?["checkpoint"]?["sha256"])

        _ = try run(["analyze", "length", "--checkpoint", model, "--out", dir.appendingPathComponent("len").path] + common)
        let len = try json(dir.appendingPathComponent("len/length.json"))
        XCTAssertEqual(len["aggregates"]?.arrayValue?.count, 6)
        XCTAssertEqual(len["buckets"]?.arrayValue?.reduce(0) { $0 + ($1["n"]?.intValue ?? 0) }, 8)

        _ = try run(["analyze", "sensitivity", "--checkpoint", model, "--out", dir.appendingPathComponent("sens").path, "--gammas", "1", "0.9"] + common)
        let sens = try json(dir.appendingPathComponent("sens/sensitivity.json"))
        XCTAssertEqual(sens["variants"]?.arrayValue?.first?["agreement_with_base"]?.doubleValue, 1)
        XCTAssertEqual(sens["shaping"]?["conditions"]?.arrayValue?.first?["decisions_changed"]?.intValue, 0)

        _ = try run(["analyze", "stability", "--checkpoint", model, "--checkpoint", model, "--out", dir.appendingPathComponent("stab").path] + common)
        let stab = try json(dir.appendingPathComponent("stab/stability.json"))
        XCTAssertEqual(stab["comparisons"]?.arrayValue?.first?["decision_agreement"]?.doubleValue, 1)
        XCTAssertEqual(stab["comparisons"]?.arrayValue?.first?["margin_kendall"]?.doubleValue ?? 0, 1, accuracy: 1e-12)
    }

    func testCorrelateScoresSampledIDs() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for k in 0..<12 {
            let tokens = (0..<(2 + k % 3)).map { String(2 + (k * 7 + $0 * 3) % 59) }.joined(separator: ",")
            text += "{\"prompt_id\":\"q\(k / 4)\",\"text\":\"\",\"prompt_ids\":[0,\(5 + k / 4)],\"token_ids\":[\(tokens),1],\"metric\":\(Double(k % 4) / 4)}\n"
        }
        let gens = dir.appendingPathComponent("gens.jsonl")
        try text.write(to: gens, atomically: true, encoding: .utf8)
        _ = try run(["correlate", "--checkpoint", model, "--generations", gens.path, "--out", dir.appendingPathComponent("corr").path, "--bootstrap-samples", "50"])
        let corr = try json(dir.appendingPathComponent("corr/correlation.json"))
        XCTAssertEqual(corr["n_generations"]?.intValue, 12)
        XCTAssertEqual(corr["n_prompts"]?.intValue, 3)
        XCTAssertEqual(corr["best_of_n"]?.arrayValue?.map { $0["n"]?.intValue ?? 0 }, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4])
        XCTAssertEqual(corr["points"]?.arrayValue?.count, 12)
    }
}
