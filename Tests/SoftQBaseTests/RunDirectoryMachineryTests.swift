import Foundation
import SoftQBase
import TestSupport
import XCTest

/// The run-directory machinery on its own: exact record encoding, the progress log and its
/// torn tail, manifest verification, the writer's refusals, the lock, stale temporaries.
final class RunDirectoryMachineryTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestPaths.temporaryDirectory("softq-runwriter") }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func testRecordsRoundTripBitForBit() throws {
        let specials: [Double] = [-0.0, .infinity, -.infinity, .nan, Double(bitPattern: 0x7FF0_0000_0000_0001),
                                  .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1 + 0.2]
        var w = BinaryRecordWriter()
        w.append(specials)
        w.append(-7)
        w.append(Float(bitPattern: 0x7FC0_1234))
        w.append(Double?.none)
        w.append(Double?.some(-0.0))
        w.append("é∂")
        var r = BinaryRecordReader(w.data)
        XCTAssertEqual(try r.doubles().map(\.bitPattern), specials.map(\.bitPattern))
        XCTAssertEqual(try r.int(), -7)
        XCTAssertEqual(try r.float().bitPattern, 0x7FC0_1234)
        XCTAssertNil(try r.optionalDouble())
        XCTAssertEqual(try r.optionalDouble()?.bitPattern, (-0.0).bitPattern)
        XCTAssertEqual(try r.string(), "é∂")
        XCTAssertTrue(r.atEnd)
        XCTAssertThrowsError(try r.int(), "reading past the end is an error")
        var bad = BinaryRecordReader(Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]))
        XCTAssertThrowsError(try bad.doubles(), "a count larger than the bytes left is an error, not an allocation")
    }

    func testProgressLogResumesDropsATornTailAndRefusesAnotherFingerprint() throws {
        let fp = JSONValue.object([("pairs_sha256", .string("aa")), ("options", .object([("gamma", .double(1))]))])
        var records: [Data] = []
        for k in 0..<100 {
            let bytes: [UInt8] = (0..<(k % 7 + 1)).map { (j: Int) -> UInt8 in UInt8(truncatingIfNeeded: j + k) }
            records.append(Data(bytes))
        }
        do {
            let p = try RunProgress(runDirectory: dir, run: "score", command: ["softq", "score"], fingerprint: fp, resume: false)
            try p.append(Array(records[0..<70]))
            try p.append(Array(records[70..<100]))
        }
        let p2 = try RunProgress(runDirectory: dir, run: "score", command: ["softq", "score", "--resume"], fingerprint: fp, resume: true)
        XCTAssertEqual(p2.saved, records)
        XCTAssertEqual(p2.command, ["softq", "score"], "a resumed run keeps the command that started it")

        // Tear the last record: it is dropped, and appends continue after the last whole one.
        let log = dir.appendingPathComponent(RunProgress.directoryName + "/records.bin")
        let bytes = try Data(contentsOf: log)
        try bytes.prefix(bytes.count - 3).write(to: log)
        let p3 = try RunProgress(runDirectory: dir, run: "score", command: [], fingerprint: fp, resume: true)
        XCTAssertEqual(p3.saved, Array(records[0..<99]))
        try p3.append([records[99]])
        XCTAssertEqual(try RunProgress(runDirectory: dir, run: "score", command: [], fingerprint: fp, resume: true).saved, records)

        let other = JSONValue.object([("pairs_sha256", .string("bb")), ("options", .object([("gamma", .double(0.9))]))])
        XCTAssertThrowsError(try RunProgress(runDirectory: dir, run: "score", command: [], fingerprint: other, resume: true)) { e in
            guard case RunDirectoryError.resumeMismatch(_, let diffs) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(diffs, ["pairs_sha256: was \"aa\", now \"bb\"", "options.gamma: was 1.0, now 0.9"])
        }
        // Without resume the log starts over.
        XCTAssertEqual(try RunProgress(runDirectory: dir, run: "score", command: [], fingerprint: other, resume: false).saved, [])
    }

    func testProgressIsFsyncedEvery64Records() throws {
        let p = try RunProgress(runDirectory: dir, run: "score", command: [], fingerprint: .null, resume: false)
        for k in 0..<130 { try p.append([Data([UInt8(k)])]) }
        // 130 appends within 5 s: synced after records 64 and 128 (more only if the machine stalls 5 s).
        XCTAssertGreaterThanOrEqual(p.syncs, 2)
        XCTAssertLessThanOrEqual(p.syncs, 4)
        try p.append(Array(repeating: Data([1]), count: 64))
        XCTAssertGreaterThanOrEqual(p.syncs, 3, "a block of 64 records is synced at once")
    }

    func testManifestVerificationNamesTheFile() throws {
        try "a\n".write(to: dir.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("plots"), withIntermediateDirectories: true)
        try "<svg/>".write(to: dir.appendingPathComponent("plots/x.svg"), atomically: true, encoding: .utf8)
        try Data().write(to: dir.appendingPathComponent(".pairs.jsonl.tmp-1-2"))
        let m = try RunManifest.make(directory: dir, run: "score", command: ["softq"], options: .object([]), provenance: .null)
        XCTAssertEqual(m.files.map(\.path), ["pairs.jsonl", "plots/x.svg"], "temporaries are not outputs")
        XCTAssertEqual(m.files[0].sha256, "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7")  // sha256("a\n")
        try m.write(to: dir)
        XCTAssertEqual(try RunManifest.verify(dir), m)

        try "b\n".write(to: dir.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunManifest.verify(dir)) { XCTAssertTrue("\($0)".contains("pairs.jsonl does not match"), "\($0)") }
        try "a\n".write(to: dir.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
        try "old".write(to: dir.appendingPathComponent("plots/stale.svg"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunManifest.verify(dir)) { XCTAssertEqual($0 as? RunDirectoryError, .fileUnlisted(directory: self.dir.path, file: "plots/stale.svg")) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("plots"))
        XCTAssertThrowsError(try RunManifest.verify(dir)) { XCTAssertEqual($0 as? RunDirectoryError, .fileMissing(directory: self.dir.path, file: "plots/x.svg")) }
    }

    func testWriterRefusesInputsForeignFilesAndSecondWriters() throws {
        let input = dir.appendingPathComponent("pairs.jsonl")
        try "x\n".write(to: input, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunWriter(out: dir.path, run: "score", inputs: [input.path], mode: .force)) {
            XCTAssertEqual($0 as? RunDirectoryError, .holdsInput(directory: self.dir.path, input: input.path))
        }
        XCTAssertThrowsError(try RunWriter(out: "", run: "score", inputs: [], mode: .fresh)) {
            XCTAssertEqual($0 as? RunDirectoryError, .emptyOutPath(option: "--out"))
        }
        // An older run (no manifest) in which pairs.jsonl is a hard link to the input.
        let run = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try "{\"schema_version\": 1}".write(to: run.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(link(input.path, run.appendingPathComponent("pairs.jsonl").path), 0)
        XCTAssertThrowsError(try RunWriter(out: run.path, run: "score", inputs: [input.path], mode: .force)) {
            guard case RunDirectoryError.outputIsInput = $0 else { return XCTFail("\($0)") }
        }
        try FileManager.default.removeItem(at: run.appendingPathComponent("pairs.jsonl"))

        // Fresh is refused, force replaces; a second writer is refused while the first holds the lock.
        XCTAssertThrowsError(try RunWriter(out: run.path, run: "score", inputs: [input.path], mode: .fresh)) {
            XCTAssertEqual($0 as? RunDirectoryError, .existingRun(directory: run.path, resumable: true))
        }
        let w = try RunWriter(out: run.path, run: "score", inputs: [input.path], mode: .force)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("summary.json").path))
        XCTAssertThrowsError(try RunWriter(out: run.path, run: "score", inputs: [], mode: .force)) {
            XCTAssertEqual($0 as? RunDirectoryError, .locked(directory: run.path, pid: getpid()))
        }
        try "s".write(to: run.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        try w.commit(options: .object([]), provenance: .null)
        w.close()
        XCTAssertEqual(try RunManifest.verify(run)?.files.map(\.path), ["summary.json"])

        // A foreign file stops even --force.
        try "mine".write(to: run.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunWriter(out: run.path, run: "score", inputs: [], mode: .force)) {
            XCTAssertEqual($0 as? RunDirectoryError, .notARunDirectory(directory: run.path, entry: "notes.txt"))
        }
    }

    func testFailedRunLeavesNoDirectoryItCreated() throws {
        let out = dir.appendingPathComponent("a/b")
        struct Boom: Error {}
        let w = try RunWriter(out: out.path, run: "score", inputs: [], mode: .fresh)
        XCTAssertThrowsError(try w.perform { w in
            try "half".write(to: w.directory.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
            throw Boom()
        })
        w.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        XCTAssertEqual(TemporaryFiles.owner(ofTemporaryName: ".tokens.h5.tmp-123-456"), 123)
        XCTAssertNil(TemporaryFiles.owner(ofTemporaryName: "tokens.h5.tmp-123-456"))
        XCTAssertNil(TemporaryFiles.owner(ofTemporaryName: ".tokens.h5.tmp-abc-456"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        let dead = ".tokens.h5.tmp-\(p.processIdentifier)-1", live = ".tokens.h5.tmp-\(getpid())-2"
        for n in [dead, live] { try Data([1]).write(to: dir.appendingPathComponent(n)) }
        XCTAssertEqual(TemporaryFiles.removeStale(in: dir), [dead])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(live).path))
    }
}
