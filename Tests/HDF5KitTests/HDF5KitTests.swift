import Foundation
import HDF5Kit
import TestSupport
import XCTest

final class H5pyInteropTests: XCTestCase {
    var fixture: String { Bundle.module.url(forResource: "Fixtures/h5py_types", withExtension: "h5")!.path }

    func testReadsEveryTypeH5pyWrites() throws {
        let f = try H5File(path: fixture)
        XCTAssertEqual(try f.dataset("f32").shape, [3, 4])
        XCTAssertEqual(try f.dataset("f32").read(as: Float.self), (0..<12).map { Float($0) / 8 })
        XCTAssertEqual(try f.dataset("f64").read(as: Double.self), [1.0 / 3.0, -2.5e-300])
        XCTAssertEqual(try f.dataset("i32").read(as: Int32.self), [-1, 2, 3, -4])
        XCTAssertEqual(try f.dataset("i64").read(as: Int64.self), [1 << 40, -7])
        XCTAssertEqual(try f.dataset("u8").read(as: UInt8.self), [0, 255, 7])
        XCTAssertEqual(try f.dataset("u16").read(as: UInt16.self), [0, 65535])
        XCTAssertEqual(try f.dataset("u16").elementType, .uint16)
        XCTAssertEqual(try f.dataset("f16").elementType, .float16)
        var bits = [UInt16](repeating: 0, count: 8)
        try bits.withUnsafeMutableBytes { try f.dataset("f16").readRaw(into: $0) }
        XCTAssertEqual(bits, [0x0000, 0x8000, 0x3C00, 0x7BFF, 0x0400, 0x0001, 0x7C00, 0xC100])
        XCTAssertEqual(try f.dataset("scalar_str").readStrings(), ["tokenizer text ✓"])
        XCTAssertEqual(try f.dataset("scalar_str").shape, [])
        XCTAssertEqual(try f.dataset("vlen_strs").readStrings(), ["x", "yz", ""])
        XCTAssertEqual(try f.dataset("fixed_strs").readStrings(), ["ab", "cde"])
    }

    func testAttributes() throws {
        let f = try H5File(path: fixture)
        let a = f.attributes
        XCTAssertEqual(a["title"], .string("héllo wörld"))
        XCTAssertEqual(a["fixed"], .string("fixed-ascii"))
        XCTAssertEqual(a["an_int"], .int(-42))
        XCTAssertEqual(a["a_float"], .double(0.1))
        XCTAssertEqual(a["ints"], .ints([0, 1, 2]))
        XCTAssertEqual(a["floats"], .doubles([0.5, -1.25]))
        XCTAssertEqual(a["strs"], .strings(["a", "bc", "déf"]))
        XCTAssertNil(a["absent"])
        XCTAssertEqual(a.names.sorted(), ["a_float", "an_int", "fixed", "fixture_format", "floats", "ints", "strs", "title"])
        XCTAssertEqual(try f.group("a/b").attributes["note"], .string("nested"))
    }

    func testGroupsAsDictionaries() throws {
        let f = try H5File(path: fixture)
        XCTAssert(f.root.names.contains("a"))
        XCTAssertTrue(f.contains("a/b/c"))
        XCTAssertFalse(f.contains("a/zz/c"))
        XCTAssertEqual(try f.group("a").group("b").dataset("c").read(as: Float.self), [1.5])
        XCTAssert(try f.root.datasetPaths().contains("a/b/c"))
        XCTAssertThrowsError(try f.dataset("a")) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .wrongKind)
        }
        XCTAssertThrowsError(try f.dataset("nope")) { e in
            let err = e as! HDF5Error
            XCTAssertEqual(err.kind, .notFound)
            XCTAssertEqual(err.object, "/nope")
            XCTAssert(err.description.contains("h5py_types.h5"))
        }
    }

    func testHyperslab() throws {
        let f = try H5File(path: fixture)
        XCTAssertEqual(try f.dataset("f32").read(as: Float.self, start: [1, 1], count: [2, 2]), [5, 6, 9, 10].map { Float($0) / 8 })
        XCTAssertEqual(try f.dataset("chunked").read(as: Float.self, start: [9, 8], count: [1, 2]), [98, 99])
        XCTAssertThrowsError(try f.dataset("f32").read(as: Float.self, start: [2, 0], count: [2, 4]))
    }

    func testMappedReadsMatchH5DreadAndChunkedFallsBack() throws {
        let f = try H5File(path: fixture)
        let ds = try f.dataset("f32")
        let m = try XCTUnwrap(ds.mappedBytes())
        XCTAssertEqual(Int(bitPattern: m.pointer) % 64, Int(bitPattern: ds.fileOffset.map { _ in m.pointer } ?? m.pointer) % 64)
        XCTAssertEqual(ds.fileOffset! % 64, 0, "fixtures are written with 64-byte alignment")
        let mapped = Array(UnsafeBufferPointer(start: m.pointer.assumingMemoryBound(to: Float.self), count: 12))
        XCTAssertEqual(mapped, try ds.read(as: Float.self))
        let chunked = try f.dataset("chunked")
        XCTAssertFalse(chunked.isContiguous)
        XCTAssertNil(chunked.mappedBytes())
        XCTAssertEqual(try chunked.read(as: Float.self), (0..<100).map(Float.init))
    }
}

final class H5WriteTests: XCTestCase {
    func testWriteThenReadBackAlignedAndTyped() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.h5").path
        do {
            let f = try H5File(path: path, mode: .exclusive)
            try f.root.createDataset("x/y/f", shape: [2, 3], values: [Float](repeating: 1.5, count: 6))
            try f.root.createDataset("i", shape: [3], values: [Int64(1), 2, -3])
            try f.root.createStringDataset("s", values: ["α", "b"])
            try f.root.createScalarString("t", value: "scalar")
            try f.attributes.write("k", .string("v"))
            try f.attributes.write("k", .int(5)) // replaces
            try f.group("x").attributes.write("arr", .doubles([1, 2.5]))
            XCTAssertThrowsError(try f.root.createDataset("i", shape: [1], values: [Int64(0)]))
            XCTAssertThrowsError(try f.root.createDataset("bad", shape: [2], values: [Float(1)]))
        }
        XCTAssertThrowsError(try H5File(path: path, mode: .exclusive)) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .createFailed)
        }
        let f = try H5File(path: path)
        let ds = try f.dataset("x/y/f")
        XCTAssertEqual(try ds.read(as: Float.self), [Float](repeating: 1.5, count: 6))
        XCTAssertEqual(ds.fileOffset.map { $0 % 64 }, 0)
        XCTAssertNotNil(ds.mappedBytes())
        XCTAssertEqual(try f.dataset("i").read(as: Int64.self), [1, 2, -3])
        XCTAssertEqual(try f.dataset("i").read(as: Double.self), [1, 2, -3], "HDF5 converts between numeric types")
        XCTAssertEqual(try f.dataset("s").readStrings(), ["α", "b"])
        XCTAssertEqual(try f.dataset("t").readStrings(), ["scalar"])
        XCTAssertEqual(f.attributes["k"], .int(5))
        XCTAssertEqual(try f.group("x").attributes["arr"], .doubles([1, 2.5]))
    }

    func testReadOnlyAndMissingFiles() throws {
        XCTAssertThrowsError(try H5File(path: "/nonexistent/x.h5")) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .openFailed)
        }
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let txt = dir.appendingPathComponent("a.h5")
        try "hello".write(to: txt, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try H5File(path: txt.path)) { e in
            let err = e as! HDF5Error
            XCTAssertEqual(err.kind, .notHDF5)
            XCTAssert(err.description.contains("no HDF5 signature"), err.description)
        }
    }

    /// A file softq writes must open in h5py (the tool most readers use).
    func testH5pyReadsWhatSoftQWrites() throws {
        guard let py = pythonWith(modules: ["h5py", "numpy"]) else {
            throw XCTSkip("python3 with h5py and numpy is not installed; `make setup` installs them")
        }
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("for_h5py.h5").path
        do {
            let f = try H5File(path: path, mode: .truncate)
            try f.root.createDataset("g/f", shape: [2, 2], values: [Float(1), 2, 3, 4.5])
            try f.root.createDataset("g/h", shape: [2], values: [UInt16(0x3F80), 0x4000])
            try f.root.createScalarString("s", value: "ünïcode")
            try f.attributes.write("config", .string(#"{"a": 1}"#))
            try f.attributes.write("n", .int(7))
        }
        let script = """
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], "r")
        assert f["g/f"][()].tolist() == [[1.0, 2.0], [3.0, 4.5]], f["g/f"][()]
        assert f["g/f"].dtype == np.float32
        assert f["g/f"].id.get_offset() % 64 == 0
        assert f["g/h"][()].tolist() == [0x3F80, 0x4000]
        s = f["s"][()]
        assert (s.decode() if isinstance(s, bytes) else s) == "ünïcode", s
        assert f.attrs["config"] == '{"a": 1}' and int(f.attrs["n"]) == 7
        print("ok")
        """
        let (status, out, err) = try runProcess("/usr/bin/env", [py, "-c", script, path])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }
}
