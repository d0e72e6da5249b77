import Foundation
import SoftQBase
import TestSupport
import XCTest

/// `softq tokenize` end to end, when the executable has been built next to the tests.
final class CommandTests: XCTestCase {
    func softq() throws -> String {
        if let exe = TestPaths.softqExecutable { return exe.path }
        // On Linux Bundle(for:) does not point into the build folder; this target's resource
        // bundle does, and the executable sits beside it.
        let exe = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("softq")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw XCTSkip("softq executable not built (swift build --build-tests builds it)")
        }
        return exe.path
    }

    func fixturePath(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else { throw XCTSkip("fixture \(name) missing") }
        return url.path
    }

    func testTextIdsAndPieces() throws {
        let gpt2 = try fixturePath("gpt2")
        let (status, out, err) = try runProcess(try softq(), ["tokenize", "--tokenizer", gpt2, "--text", "Hello world<|endoftext|>"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out, "{\"ids\":[15496,995,50256]}\n")
        let (s2, out2, _) = try runProcess(try softq(), ["tokenize", "--tokenizer", gpt2, "--text", "Hello world", "--pieces"])
        XCTAssertEqual(s2, 0)
        XCTAssertEqual(out2, "{\"pieces\":[\"Hello\",\"Ġworld\"]}\n")
    }

    func testInputFileAndBadLine() throws {
        let dir = try TestPaths.temporaryDirectory("softq-tokenize")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl")
        try Data("{\"text\": \"a b\"}\n\n{\"text\": \"\"}\n{\"id\": 3}\n".utf8).write(to: input)
        let (status, out, err) = try runProcess(try softq(), ["tokenize", "--tokenizer", try fixturePath("llama3-style.json"),
                                                              "--input", input.path, "--add-special-tokens"])
        XCTAssertNotEqual(status, 0)
        XCTAssertEqual(out, "{\"ids\":[0,69,225,70]}\n{\"ids\":[0]}\n")
        XCTAssertTrue(err.contains("in.jsonl:4: field \"text\" is missing"), err)
    }

    /// `--add-special-tokens` adds BOS as softq adds it to a prompt: once, not again before a
    /// text that spells it out (the demo tokenizer: `<|bos|>` = 0, prepended by its post-processor).
    func testAddSpecialTokensAddsBOSOnce() throws {
        let demo = TestPaths.repositoryRoot.appendingPathComponent("notebooks-data/task/tokenizer.json").path
        let (s1, plain, e1) = try runProcess(try softq(), ["tokenize", "--tokenizer", demo, "--text", "1+1="])
        let (s2, added, e2) = try runProcess(try softq(), ["tokenize", "--tokenizer", demo, "--text", "1+1=", "--add-special-tokens"])
        let (s3, spelled, e3) = try runProcess(try softq(), ["tokenize", "--tokenizer", demo, "--text", "<|bos|>1+1=", "--add-special-tokens"])
        XCTAssertEqual([s1, s2, s3], [0, 0, 0], e1 + e2 + e3)
        let ids = { (s: String) in try JSONParser.parse(s.trimmingCharacters(in: .newlines))["ids"]!.arrayValue!.map { $0.intValue! } }
        XCTAssertEqual(try ids(added), [0] + (try ids(plain)))
        XCTAssertEqual(try ids(spelled), try ids(added))
    }
}
