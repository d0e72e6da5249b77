import XCTest
import SoftQBase
import SoftQCheckpoint
import TestSupport

/// `softq train` end to end on token-id data (skipped when the executable was not built).
final class TrainCommandTests: XCTestCase {
    func testTrainWritesModelLogAndCheckpointsAndResumes() throws {
        // TestPaths.softqExecutable misses the debug build on Linux (Bundle(for:) is the main
        // bundle there), so also look where `swift build` puts it.
        let debugBuild = TestPaths.repositoryRoot.appendingPathComponent(".build/debug/softq")
        guard let softq = TestPaths.softqExecutable
            ?? (FileManager.default.isExecutableFile(atPath: debugBuild.path) ? debugBuild : nil) else {
            throw XCTSkip("softq executable not built")
        }
        let dir = try TestPaths.temporaryDirectory("softq-train-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = """
        {"model_type": "gpt2", "vocab_size": 12, "n_positions": 16, "n_embd": 16, "n_layer": 1, "n_head": 2,
         "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
         "bos_token_id": 0, "eos_token_id": 1}
        """
        try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        var lines = ""
        for e in reversalExamples(count: 8, seed: 2) {
            lines += JSONValue.object([("prompt_ids", .array(e.prompt.map { .int($0) })),
                                       ("response_ids", .array(e.response.map { .int($0) }))]).serialized() + "\n"
        }
        try lines.write(to: dir.appendingPathComponent("demos.jsonl"), atomically: true, encoding: .utf8)
        let args = ["train", "--config", "config.json", "--data", "demos.jsonl", "--objective", "iqlearn",
                    "--td-weight", "0.2", "--gamma", "0.9", "--steps", "6", "--batch-size", "2", "--lr", "0.01",
                    "--warmup", "1", "--seed", "3", "--checkpoint-every", "2", "--log-every", "3", "--out", "run"]
        let (status, out, err) = try runProcess(softq.path, args, cwd: dir)
        XCTAssertEqual(status, 0, err)
        let progress = out.split(separator: "\n").filter { $0.hasPrefix("step ") }
        XCTAssertEqual(progress.count, 2, out)
        XCTAssert(progress.first?.contains("mle ") == true && progress.first?.contains(" td ") == true
                  && progress.first?.hasSuffix("tok/s") == true, out)
        let run = dir.appendingPathComponent("run")
        let names = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path).sorted()
        XCTAssertEqual(names, ["step-00000002.h5", "step-00000004.h5"])
        let model = try Checkpoint(path: run.appendingPathComponent("model.h5").path)
        XCTAssertEqual(model.training.objective, "iqlearn")
        XCTAssertEqual(model.training.tdWeight, 0.2)
        XCTAssertEqual(model.training["data_sha256"]?.stringValue, FileHash.sha256(data: Data(lines.utf8)))

        // A second run into the same directory must ask for --resume; with it, it finishes.
        let (again, _, againErr) = try runProcess(softq.path, args, cwd: dir)
        XCTAssertNotEqual(again, 0)
        XCTAssert(againErr.contains("--resume"), againErr)
        let (resumed, resumedOut, resumedErr) = try runProcess(softq.path, args + ["--resume"], cwd: dir)
        XCTAssertEqual(resumed, 0, resumedErr)
        XCTAssert(resumedOut.contains("resuming at step 4"), resumedOut)
        let again2 = try Checkpoint(path: run.appendingPathComponent("model.h5").path)
        for name in model.tensorNames { XCTAssertEqual(try again2.loadTensor(name).array, try model.loadTensor(name).array, name) }

        let (bad, _, badErr) = try runProcess(softq.path, ["train", "--data", "demos.jsonl", "--out", "x"], cwd: dir)
        XCTAssertNotEqual(bad, 0)
        XCTAssert(badErr.contains("--config") && badErr.contains("--init"), badErr)
    }
}
