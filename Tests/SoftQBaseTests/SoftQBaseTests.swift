import XCTest
import SoftQBase

final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testKnownFirstValues() {
        // Pinned so that a change to the generator (which would change every seeded
        // result softq publishes) cannot go unnoticed.
        var g = SeededGenerator(seed: 0)
        let first = (0..<3).map { _ in g.next() }
        // From an independent Python transcription of SplitMix64-seeded xoshiro256** (Blackman
        // and Vigna), so the stream itself is pinned, not only its repeatability.
        XCTAssertEqual(first, [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
    }

    func testDoubleRangeAndMean() {
        var g = SeededGenerator(seed: 7)
        var sum = 0.0
        for _ in 0..<100_000 {
            let d = g.nextDouble()
            XCTAssert(d >= 0 && d < 1)
            sum += d
        }
        XCTAssertEqual(sum / 100_000, 0.5, accuracy: 0.01)
    }
}

final class JSONTests: XCTestCase {
    func testRoundTripKeepsOrderAndTypes() throws {
        let text = #"{"b":1,"a":[1.5,-2,true,null,"x\ny\u00e9\ud83d\ude00"],"c":{"z":1e-05}}"#
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v.serialized(), #"{"b":1,"a":[1.5,-2,true,null,"x\nyé😀"],"c":{"z":1e-05}}"#)
        XCTAssertEqual(v["b"], .int(1))
        XCTAssertEqual(v["c"]?["z"], .double(1e-05))
    }

    func testErrorsSayWhere() {
        XCTAssertThrowsError(try JSONParser.parse(#"{"a": tru}"#)) { e in
            XCTAssertEqual((e as? JSONParseError)?.column, 7)
        }
        XCTAssertThrowsError(try JSONParser.parse(#"{"a": 1"#))
        XCTAssertThrowsError(try JSONParser.parse(#"[1,]"#))
        XCTAssertThrowsError(try JSONParser.parse(#"01"#))
        XCTAssertThrowsError(try JSONParser.parse("\"a\u{01}\""))
    }

    func testDoubleFormattingIsShortestRoundTrip() {
        for d in [0.1, 1.0 / 3.0, -2.5e-12, 123456789.125, Double.leastNormalMagnitude] {
            let s = JSONValue.formatDouble(d)
            XCTAssertEqual(Double(s), d, s)
        }
        XCTAssertEqual(JSONValue.formatDouble(.nan), "null")
    }
}

final class AtomicFileTests: XCTestCase {
    func testFailedWriteLeavesDestinationUntouched() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("softq-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out.txt")
        try AtomicFile.write("old", to: dest)
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: dest) { tmp in
            try "partial".write(to: tmp, atomically: false, encoding: .utf8)
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOf: dest, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.txt"])
    }
}

final class JSONDuplicateKeyTests: XCTestCase {
    func testLaterDuplicateWinsAndOrderIsFirstSeen() throws {
        let v = try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#)
        XCTAssertEqual(v.serialized(), #"{"a":3,"b":2}"#)
    }

    /// Canonically equivalent keys are different keys (Gemma's vocabulary has both spellings
    /// of "য়"); only byte-equal keys are duplicates, as in Python's json.
    func testCanonicallyEquivalentKeysAreDistinct() throws {
        let v = try JSONParser.parse("{\"\u{9DF}\": 1, \"\u{9AF}\u{9BC}\": 2, \"\u{E9}\": 3, \"e\u{301}\": 4}")
        guard case .object(let fields) = v else { return XCTFail("not an object") }
        XCTAssertEqual(fields.map { Array($0.0.unicodeScalars) }, [["\u{9DF}"], ["\u{9AF}", "\u{9BC}"], ["\u{E9}"], ["e", "\u{301}"]])
        XCTAssertEqual(fields.map(\.1), [.int(1), .int(2), .int(3), .int(4)])
    }
}
