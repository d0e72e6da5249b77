import Foundation
import SoftQBase
import TestSupport
import XCTest

/// What the end-to-end tests of the built `softq` share: the executable (the test is skipped
/// when it is not built), a temporary working directory per test, the tiny GPT-2 fixture,
/// running `softq` in that directory, and seeded token-id inputs for the tiny GPT-2.
class SoftQCLITestCase: XCTestCase {
    var softq: String!
    var dir: URL!
    let gpt2 = TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQModelsTests/Fixtures/gpt2_tiny.h5").path

    /// The temporary directory's name prefix (subclasses name theirs).
    var directoryTag: String { "softq-cli" }

    override func setUpWithError() throws {
        guard let exe = TestPaths.softqExecutable else { throw XCTSkip("the softq executable is not built (swift build --build-tests builds it)") }
        softq = exe.path
        dir = try TestPaths.temporaryDirectory(directoryTag)
    }

    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    /// Runs `softq args` in `cwd` (default: the test's directory) with `env` added to the environment.
    @discardableResult
    func softq(_ args: [String], cwd: URL? = nil, env: [String: String] = [:]) throws -> (Int32, String, String) {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        return try runProcess(softq, args, cwd: cwd ?? dir, environment: environment)
    }

    /// `softq(args)`, failing the test unless it exits 0 when `expectSuccess`.
    @discardableResult
    func run(_ args: [String], expectSuccess: Bool = true, env: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> (Int32, String, String) {
        let r = try softq(args, env: env)
        if expectSuccess { XCTAssertEqual(r.0, 0, "softq \(args.joined(separator: " ")): \(r.2)", file: file, line: line) }
        return r
    }

    /// Writes `lines` (each ended by a newline) to `name` in the test's directory; returns its path.
    func write(_ name: String, _ lines: [String]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A run's JSON summary without `provenance.time` and `provenance.shards`: what a merged run
    /// and the single-process run must agree on.
    func summaryWithoutTimeAndShards(_ run: URL, file name: String = "summary.json") throws -> JSONValue {
        let s = try JSONParser.parse(String(contentsOf: run.appendingPathComponent(name), encoding: .utf8))
        guard case .object(var f) = s, let k = f.firstIndex(where: { $0.0 == "provenance" }), case .object(let p) = f[k].1 else {
            XCTFail("\(name) lacks provenance")
            return s
        }
        f[k].1 = .object(p.filter { $0.0 != "time" && $0.0 != "shards" })
        return .object(f)
    }

    /// `count` seeded token-id pairs for the tiny GPT-2 (vocabulary 61, EOS 1), one JSONL line
    /// each, `subset` s0/s1/s2 when `subsets`; the 1-based line numbers in `invalidAt` hold an
    /// invalid line instead (alternately not JSON and an empty response).
    static func tokenPairs(count: Int, seed: UInt64, subsets: Bool, invalidAt: Set<Int> = []) -> String {
        var rng = SeededGenerator(seed: seed)
        func ids(_ n: Int) -> String { (0..<n).map { _ in String(2 + rng.nextInt(below: 59)) }.joined(separator: ",") }
        var text = "", line = 1, k = 0
        while k < count {
            if invalidAt.contains(line) {
                text += line % 2 == 0 ? "{not json\n" : "{\"id\":\"bad\(line)\",\"prompt_ids\":[0],\"chosen_ids\":[],\"rejected_ids\":[2]}\n"
            } else {
                let subset = subsets ? "\"subset\":\"s\(k % 3)\"," : ""
                text += "{\"id\":\"p\(k)\",\(subset)\"prompt_ids\":[0,\(ids(2 + k % 3))],\"chosen_ids\":[\(ids(3 + k % 4)),1],\"rejected_ids\":[\(ids(2 + k % 5)),1]}\n"
                k += 1
            }
            line += 1
        }
        return text
    }
}
