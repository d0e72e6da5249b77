import Foundation
import HDF5Kit
import TestSupport
import XCTest

/// Writes that cannot be stored faithfully, and writes that fail (a full disk), are typed
/// errors, never truncated data or a crash. (Hostile files on the read side are covered by
/// SoftQCheckpointTests' `hostile` fixtures.)
final class HDF5WriteSafetyTests: XCTestCase {
    func testNULInsideAVariableLengthStringIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try H5File(path: dir.appendingPathComponent("nul.h5").path, mode: .truncate)
        // Without the check, HDF5 stores "a" for "a\0b" and the two ids below collide.
        XCTAssertThrowsError(try f.root.createStringDataset("id", values: ["a", "a\u{0}b"])) { e in
            let err = e as! HDF5Error
            XCTAssertEqual(err.kind, .invalidValue)
            XCTAssertEqual(err.object, "/id")
            XCTAssertEqual(err.detail, "string 1 of 2 (\"a\\0b\") contains a NUL character (U+0000) at UTF-8 byte 1; HDF5 strings end at the first NUL, so it would be stored truncated")
        }
        XCTAssertThrowsError(try f.attributes.write("note", .string("x\u{0}"))) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .invalidValue)
            XCTAssert("\(e)".contains("/ attribute 'note': value cannot be stored: the string (\"x\\0\")"), "\(e)")
        }
        XCTAssertThrowsError(try f.attributes.write("notes", .strings(["ok", "\u{0}"])))
        XCTAssertFalse(f.attributes.contains("note"), "nothing half-written")
        // Every other character, including other control characters, round-trips.
        let fine = ["a\u{1}b", "tab\tnew\nline", "é✓", ""]
        try f.root.createStringDataset("fine", values: fine)
        XCTAssertEqual(try f.dataset("fine").readStrings(), fine)
        try f.close()
    }

    func testMessagesShortenLongStrings() throws {
        let long = String(repeating: "x", count: 5000) + "\u{0}"
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try H5File(path: dir.appendingPathComponent("long.h5").path, mode: .truncate)
        XCTAssertThrowsError(try f.root.createScalarString("s", value: long)) { e in
            XCTAssertLessThan("\(e)".count, 400, "\(e)")
            XCTAssert("\(e)".contains("… (5001 bytes)"), "\(e)")
        }
    }

    /// A full disk while writing: measured before the fix, libhdf5's exit handler segfaulted
    /// (exit 139) after the failed close. Now every failed call is a `.writeFailed`, and
    /// `close()` reports the final flush.
    func testFullDiskIsATypedErrorAndTheProcessSurvives() throws {
        try withFullDisk { dir in
            let path = dir.appendingPathComponent("tokens.h5").path
            var failure: HDF5Error?
            do {
                let f = try H5File(path: path, mode: .truncate)
                try f.attributes.write("softq_version", .string("test"))
                let g = try f.root.createGroup("tokens")
                for k in 0..<4 {
                    // 4 × 160 KB: more than the 64 KiB the disk holds.
                    try g.createDataset("q\(k)", shape: [20_000], values: [Double](repeating: Double(k), count: 20_000))
                }
                try g.createStringDataset("pieces", values: (0..<1000).map { "piece \($0)" })
                try f.close()
            } catch let e as HDF5Error {
                failure = e
            }
            let e = try XCTUnwrap(failure, "writing 640 KB into a 64 KiB file system must fail")
            XCTAssert([.writeFailed, .createFailed].contains(e.kind), "\(e)")
            XCTAssert(e.file == path, "\(e)")
        }
        // The library is still usable afterwards (no corrupted global state).
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try H5File(path: dir.appendingPathComponent("after.h5").path, mode: .truncate)
        try f.root.createDataset("x", shape: [2], values: [Float(1), 2])
        try f.close()
        XCTAssertEqual(try H5File(path: dir.appendingPathComponent("after.h5").path).dataset("x").read(as: Float.self), [1, 2])
    }

    func testCloseIsIdempotentAndReadOnlyCloseIsQuiet() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.h5").path
        let w = try H5File(path: path, mode: .truncate)
        try w.root.createDataset("x", shape: [1], values: [Int64(3)])
        try w.close()
        try w.close()
        let r = try H5File(path: path)
        XCTAssertEqual(try r.dataset("x").read(as: Int64.self), [3])
        try r.close()
    }

    func testHyperslabAndFirstStringReads() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h.h5").path
        let w = try H5File(path: path, mode: .truncate)
        try w.root.createDataset("m", shape: [3, 4], values: (0..<12).map { Float($0) })
        try w.root.createStringDataset("s", values: ["first", "second"])
        try w.root.createScalarString("t", value: "only")
        try w.root.createStringDataset("e", values: [])
        try w.close()
        let f = try H5File(path: path)
        XCTAssertEqual(try f.dataset("m").read(as: Float.self, start: [1, 1], count: [2, 2]), [5, 6, 9, 10])
        XCTAssertThrowsError(try f.dataset("m").read(as: Float.self, start: [2, 0], count: [2, 4])) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .shapeMismatch)
        }
        XCTAssertEqual(try f.dataset("s").readFirstString(), "first")
        XCTAssertEqual(try f.dataset("t").readFirstString(), "only")
        XCTAssertNil(try f.dataset("e").readFirstString())
        XCTAssertEqual(try f.dataset("s").readStrings(), ["first", "second"])
    }
}
