import Foundation
import SoftQBase
import SoftQKernels
import XCTest

/// The property stacked scoring rests on: the rows of a product whose input stacks several
/// sequences' rows (each block padded to the kernel's row tile and small products padded past
/// the small-kernel limit, `BLAS.stacking`) are, bit for bit, the rows of each sequence's
/// product alone, whatever the other sequences, the row offset, the shape and softq's worker
/// count. OpenBLAS promises nothing of the kind: its level-3 driver fixes the k-blocking from
/// k alone, but some kernels compute a row in a remainder tile differently from one in a full
/// tile, and some families switch kernels for small products (docs/performance.md); this
/// test is the evidence on the library and kernel family actually in use. If it fails, remove
/// that family from `StackingRule(coreName:)` (scoring then runs one product per sequence).
final class BatchInvarianceTests: XCTestCase {
    /// One random case: sequences of `rows[i]` rows stacked (in that order, each block padded
    /// with zero rows to `multiple`) against each sequence alone (padded alike).
    struct Case: CustomStringConvertible {
        var rows: [Int]
        var k: Int, n: Int
        var transposedWeights: Bool  // x · Wᵀ with W [n, k] (nn.Linear) or x · W with W [k, n] (Conv1D)
        var lda: Int, ldb: Int
        var aOffset: Int, bOffset: Int
        var workers: Int
        var description: String {
            "rows \(rows) k \(k) n \(n) \(transposedWeights ? "x·Wᵀ" : "x·W") lda \(lda) ldb \(ldb) offsets \(aOffset)/\(bOffset) workers \(workers)"
        }
    }

    func randomCase(_ rng: inout SeededGenerator) -> Case {
        // k across OpenBLAS's k-blocking (one block, a split in two halves, several blocks) and
        // the model widths (576, 768, 1536, 2048); rows from 1 (a one-token continuation) to
        // several kernel tiles; n across tiles, partial tiles and two column chunks (≥ 512).
        let ks = [1, 2, 3, 7, 16, 64, 255, 256, 257, 383, 384, 385, 512, 576, 700, 768, 769, 1000, 1536, 2048]
        // Products on both sides of the small-product limit of kernel families that have one
        // (28·512² multiply-adds: a few rows of a model's width, tens of a narrow product).
        let k = rng.nextInt(below: 3) == 0 ? 1 + rng.nextInt(below: 1100) : ks[rng.nextInt(below: ks.count)]
        let n = 1 + rng.nextInt(below: rng.nextInt(below: 6) == 0 ? 700 : 70)
        let sequences = 2 + rng.nextInt(below: 4)
        let rows = (0..<sequences).map { _ in
            1 + rng.nextInt(below: [9, 40, 160][rng.nextInt(below: 3)])
        }
        let transposed = rng.nextInt(below: 2) == 0
        return Case(rows: rows, k: k, n: n, transposedWeights: transposed,
                    lda: k + (rng.nextInt(below: 2) == 0 ? 0 : rng.nextInt(below: 5)),
                    ldb: (transposed ? k : n) + (rng.nextInt(below: 2) == 0 ? 0 : rng.nextInt(below: 5)),
                    aOffset: rng.nextInt(below: 16), bOffset: rng.nextInt(below: 16), workers: 1 + rng.nextInt(below: 4))
    }

    /// Runs `cases` random cases through softq's product kernels (`linearParallel` /
    /// `conv1DParallel`, OpenBLAS at one thread as in scoring, `workers` softq threads, the
    /// stacking rule on both sides; nil: no padding at all) and returns the ones whose stacked
    /// rows differ from the rows of each sequence alone.
    func differingCases(_ cases: Int, rule: StackingRule?, seed: UInt64) -> [Case] {
        let multiple = rule?.rowMultiple ?? 1
        // Operands are windows into one pool of random values (fresh values for each of
        // thousands of cases would dominate the test's time); values in [-1, 1).
        var rng = SeededGenerator(seed: seed)
        let pool = (0..<2_000_000).map { _ in Float(rng.nextDouble() * 2 - 1) }
        var failures: [Case] = []
        BLAS.withThreads(1) {
            for _ in 0..<cases {
                let c = randomCase(&rng)
                let blocks = c.rows.map { ($0 + multiple - 1) / multiple * multiple }, total = blocks.reduce(0, +)
                // The stacked input: each sequence's rows (a window of the pool), then zero rows.
                var x = [Float](repeating: 0, count: total * c.k), r0 = 0
                var windows: [Int] = []
                for (s, rows) in c.rows.enumerated() {
                    let start = c.aOffset + rng.nextInt(below: pool.count - c.aOffset - rows * c.lda - 1)
                    windows.append(start)
                    for r in 0..<rows {
                        for j in 0..<c.k { x[(r0 + r) * c.k + j] = pool[start + r * c.lda + j] }
                    }
                    r0 += blocks[s]
                }
                let bStart = c.bOffset + rng.nextInt(below: pool.count - c.bOffset - (c.transposedWeights ? c.n * c.k : c.k * c.n) - 1)
                let w = Array(pool[bStart..<(bStart + (c.transposedWeights ? c.n * c.k : c.k * c.n))])
                let parallel = Parallel(threads: c.workers)
                func product(_ out: inout [Float], _ input: [Float], rows: Int, _ parallel: Parallel) {
                    if c.transposedWeights {
                        linearParallel(&out, input, w, nil, rows: rows, inDim: c.k, outDim: c.n, parallel: parallel, stacking: rule)
                    } else {
                        conv1DParallel(&out, input, w, nil, rows: rows, inDim: c.k, outDim: c.n, parallel: parallel, stacking: rule)
                    }
                }
                var stacked = [Float](repeating: 0, count: total * c.n)
                product(&stacked, x, rows: total, parallel)
                var same = true
                r0 = 0
                for (s, rows) in c.rows.enumerated() {
                    let alone = Array(x[(r0 * c.k)..<((r0 + blocks[s]) * c.k)])
                    var out = [Float](repeating: 0, count: blocks[s] * c.n)
                    product(&out, alone, rows: blocks[s], .serial)
                    if out[0..<(rows * c.n)].map(\.bitPattern) != stacked[(r0 * c.n)..<((r0 + rows) * c.n)].map(\.bitPattern) {
                        same = false
                    }
                    r0 += blocks[s]
                }
                if !same { failures.append(c) }
            }
        }
        return failures
    }

    func testStackedRowsEqualEachSequenceAloneBitForBit() throws {
        guard let rule = BLAS.stacking else {
            throw XCTSkip("OpenBLAS kernel family \(BLAS.coreName) has no stacking rule: scoring does not stack sequences")
        }
        let failures = differingCases(3000, rule: rule, seed: 2024)
        for c in failures.prefix(5) { XCTFail("\(BLAS.coreName), \(rule): stacked rows differ from alone: \(c)") }
        XCTAssertEqual(failures.count, 0, "\(failures.count) of 3000 random cases differ")
    }

    /// The padding is needed: without it, rows in a remainder tile of a lone product get other
    /// bits than the same rows inside a full tile of a stacked product, and a small lone
    /// product runs on other kernels than the stacked one (on the kernel families that tile
    /// rows or have small-product kernels; Sandy Bridge's has neither), so the test above can
    /// fail.
    func testWithoutPaddingStackedRowsDiffer() throws {
        guard let rule = BLAS.stacking, BLAS.coreName.lowercased() != "sandybridge" else {
            throw XCTSkip("OpenBLAS kernel family \(BLAS.coreName): rows are not tiled, or not stacked")
        }
        XCTAssertTrue(rule.rowMultiple > 1 || rule.smallProductLimit > 0)
        XCTAssertFalse(differingCases(200, rule: nil, seed: 99).isEmpty)
    }

    /// The rule per family, and the fewest rows it asks of a product.
    func testStackingRules() {
        XCTAssertEqual(StackingRule(coreName: "Prescott"), StackingRule(rowMultiple: 4, smallProductLimit: 0))
        XCTAssertEqual(StackingRule(coreName: "HASWELL"), StackingRule(rowMultiple: 12, smallProductLimit: 0))
        XCTAssertEqual(StackingRule(coreName: "SkylakeX"), StackingRule(rowMultiple: 1, smallProductLimit: 7_340_032))
        XCTAssertEqual(StackingRule(coreName: "Cooperlake"), StackingRule(coreName: "SkylakeX"))
        XCTAssertNil(StackingRule(coreName: "SapphireRapids"))
        XCTAssertNil(StackingRule(coreName: "unknown"))
        let haswell = StackingRule(rowMultiple: 12, smallProductLimit: 0)
        XCTAssertEqual(haswell.minimumRows(n: 768, k: 768), 12)
        let skylake = StackingRule(rowMultiple: 1, smallProductLimit: 7_340_032)
        // SmolLM2's key projection (576 → 192): 66 rows are 7,299,072 multiply-adds, 67 are past the limit.
        XCTAssertEqual(skylake.minimumRows(n: 192, k: 576), 67)
        XCTAssertEqual(skylake.minimumRows(n: 7_340_032, k: 1), 2)
        XCTAssertEqual(StackingRule(rowMultiple: 4, smallProductLimit: 100).minimumRows(n: 10, k: 3), 4)
        XCTAssertEqual(StackingRule(rowMultiple: 4, smallProductLimit: 100).minimumRows(n: 10, k: 1), 12)
    }

    /// The comparison sees a different reduction order: the same product with k split into
    /// two calls changes low bits.
    func testTheComparisonSeesADifferentReductionOrder() {
        var rng = SeededGenerator(seed: 7)
        let m = 8, n = 16, k = 1000
        let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() * 2 - 1) }
        let b = (0..<(n * k)).map { _ in Float(rng.nextDouble() * 2 - 1) }
        var whole = [Float](repeating: 0, count: m * n), split = whole
        BLAS.withThreads(1) {
            BLAS.sgemm(.none, .transpose, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &whole, ldc: n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    BLAS.sgemm(.none, .transpose, m: m, n: n, k: 500, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: k, c: &split, ldc: n)
                    BLAS.sgemm(.none, .transpose, m: m, n: n, k: 500, a: ap.baseAddress! + 500, lda: k, b: bp.baseAddress! + 500, ldb: k,
                               beta: 1, c: &split, ldc: n)
                }
            }
        }
        XCTAssertNotEqual(whole.map(\.bitPattern), split.map(\.bitPattern))
    }
}
