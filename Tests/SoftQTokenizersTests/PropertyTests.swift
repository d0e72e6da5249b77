import Foundation
import SoftQBase
import XCTest
@testable import SoftQTokenizers

/// Seeded random strings: every id sequence must decode back to the text it came from.
final class PropertyTests: XCTestCase {
    static let pools: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x7E, 0x20...0x20, 0xA0...0x24F, 0x300...0x36F, 0x370...0x52F, 0x590...0x6FF,
        0x900...0x97F, 0x2000...0x206F, 0x3000...0x30FF, 0x4E00...0x4FFF, 0xAC00...0xACFF,
        0xFE00...0xFE0F, 0x1F300...0x1F6FF, 0x1F900...0x1F9FF, 0xE000...0xE0FF, 0x10000...0x10FFFF,
    ]

    static func randomText(_ g: inout SeededGenerator) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<(1 + g.nextInt(below: 60)) {
            let pool = pools[g.nextInt(below: pools.count)]
            let v = pool.lowerBound + UInt32(g.nextInt(below: Int(pool.upperBound - pool.lowerBound) + 1))
            if let u = Unicode.Scalar(v) { s.append(u) }
        }
        return String(s)
    }

    func roundTrip(_ tok: Tokenizer, seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        for k in 0..<300 {
            let text = PropertyTests.randomText(&g)
            let ids = tok.encode(text)
            XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < tok.vocabularySize })
            let back = try tok.decode(ids)
            XCTAssertEqual(back, text, "string \(k) (seed \(seed)) does not round-trip: \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            // Token by token, the bytes of the pieces concatenate to the text's UTF-8.
            let bytes = try tok.pieces(ids).flatMap { ByteLevelMap.decode($0) ?? Array($0.utf8) }
            XCTAssertEqual(bytes, Array(text.utf8))
        }
    }

    func testGPT2RoundTripsRandomUnicode() throws { try roundTrip(try gpt2Tokenizer(), seed: 11) }

    func testLlama3StyleRoundTripsRandomUnicode() throws {
        try roundTrip(try Tokenizer(tokenizerJSON: try fixtureData("llama3-style.json")), seed: 12)
    }

    func testSmolLM2StyleRoundTripsRandomUnicode() throws {
        try roundTrip(try Tokenizer(tokenizerJSON: try fixtureData("smollm2-style.json")), seed: 13)
    }

    /// The heap merge (long words) and the scan merge (short words) give the same ids.
    func testHeapMergeMatchesScanMerge() throws {
        for tokenizer in [try gpt2Tokenizer(), try Tokenizer(tokenizerJSON: try fixtureData("llama3-style.json"))] {
            let model = try XCTUnwrap(tokenizer.model.bpe)
            var g = SeededGenerator(seed: 15)
            let alphabet = Array("aeinrst ".utf8) + Array("日本語".utf8)
            for _ in 0..<100 {
                let word = (0..<(2 + g.nextInt(below: 300))).map { _ in alphabet[g.nextInt(below: alphabet.count)] }
                let syms = word.map { model.byteIDs[Int($0)] }
                var heap: [Int] = []
                model.mergeWithHeap(syms, into: &heap)
                var scan: [Int] = [], scanSyms = syms
                model.scanMerge(&scanSyms, into: &scan)
                XCTAssertEqual(heap, scan)
            }
        }
    }

    /// A slow twin of the BPE merge loop (recompute every pair each step) agrees with the fast one.
    func testMergeMatchesNaiveTwin() throws {
        let model = try XCTUnwrap(try Tokenizer(tokenizerJSON: try fixtureData("llama3-style.json")).model.bpe)
        var g = SeededGenerator(seed: 14)
        let alphabet = Array("aeinrst ".utf8)
        for _ in 0..<200 {
            let word = (0..<(1 + g.nextInt(below: 40))).map { _ in alphabet[g.nextInt(below: alphabet.count)] }
            var fast: [Int] = []
            model.encodeBytes(word[...], into: &fast)
            var syms = word.map { Int(model.byteIDs[Int($0)]) }
            if model.ignoreMerges, let id = model.vocab[ByteLevelMap.encode(word)] { syms = [id] }
            while syms.count > 1 {
                var best: (rank: Int32, pos: Int, id: Int)? = nil
                for p in 0..<(syms.count - 1) {
                    if let m = model.merges[UInt64(syms[p]) << 32 | UInt64(syms[p + 1])], best == nil || m.rank < best!.rank {
                        best = (m.rank, p, Int(m.id))
                    }
                }
                guard let b = best else { break }
                syms[b.pos] = b.id
                syms.remove(at: b.pos + 1)
            }
            XCTAssertEqual(fast, syms, "word \(String(decoding: word, as: UTF8.self).debugDescription)")
        }
    }
}
