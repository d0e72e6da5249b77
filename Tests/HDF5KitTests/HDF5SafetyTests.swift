import Foundation
@testable import HDF5Kit
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

/// The byte-level global heap walk that runs before libhdf5 opens a file.
final class GlobalHeapCheckTests: XCTestCase {
    /// A 4096-byte collection at offset 64 holding one object of `size` bytes, then free space.
    func collection(objectSize: UInt64, freeSpace: UInt64? = nil) -> [UInt8] {
        var b = [UInt8](repeating: 0xAB, count: 64)
        func u16(_ v: UInt16) { b += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func u64(_ v: UInt64) { b += withUnsafeBytes(of: v.littleEndian, Array.init) }
        b += Array("GCOL".utf8) + [1, 0, 0, 0]
        u64(4096)
        u16(1); u16(1); b += [0, 0, 0, 0]; u64(objectSize)
        b += [UInt8](repeating: 7, count: 8)
        let used = 16 + 16 + 8
        u16(0); u16(0); b += [0, 0, 0, 0]; u64(freeSpace ?? UInt64(4096 - used))
        b += [UInt8](repeating: 0, count: 64 + 4096 - b.count)
        return b + [UInt8](repeating: 0xCD, count: 100)
    }

    func problem(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { H5GlobalHeapCheck.problem(in: $0) }
    }

    func testWellFormedCollectionPasses() {
        XCTAssertNil(problem(collection(objectSize: 5)))
        XCTAssertNil(problem(Array("GCOL is just text in a tensor".utf8) + [UInt8](repeating: 0, count: 100)))
    }

    func testOversizedObjectsAreFoundWithoutOverflow() {
        // UInt64.max - 3 trapped in the padding arithmetic before (fuzzing finding).
        for size in [UInt64(5000), 1 << 62, UInt64.max - 3, UInt64.max] {
            XCTAssertEqual(problem(collection(objectSize: size)),
                           "global heap collection at byte 64 (4096 bytes): object 1 at byte 80 declares \(size) bytes, which do not fit in the collection")
        }
    }

    func testZeroSizedFreeSpaceWouldLoopAndIsFound() {
        XCTAssertEqual(problem(collection(objectSize: 5, freeSpace: 0)),
                       "global heap collection at byte 64 (4096 bytes): object 0 at byte 104 declares 0 bytes, which do not fit in the collection")
    }
}
