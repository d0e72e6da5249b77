import Foundation
import SoftQBase
import SoftQKernels
import XCTest

/// Products over 16-bit weights widen one panel at a time; the result must be the bits of the
/// same product over the weights widened up front (widening is exact, and each panel is the
/// operand the float32 call reads). No tolerance: any difference is a bug.
final class WeightPanelTests: XCTestCase {
    func testSixteenBitPanelsGiveTheProductOfWideWeights() {
        var rng = SeededGenerator(seed: 31)
        // Widths below and above one column chunk (512), so chunks of both kinds are widened.
        for (rows, inDim, outDim) in [(1, 5, 3), (7, 64, 96), (19, 130, 700), (3, 576, 1536)] {
            let values = (0..<(inDim * outDim)).map { _ in Float(rng.nextGaussian()) }
            let x = (0..<(rows * inDim)).map { _ in Float(rng.nextGaussian()) }
            let bias = (0..<outDim).map { _ in Float(rng.nextGaussian()) }
            for format in [HalfFormat.bfloat16, .float16] {
                let bits = values.map { format == .bfloat16 ? bfloat16Bits($0) : float16Bits($0) }
                var wide = [Float](repeating: 0, count: bits.count)
                bits.withUnsafeBufferPointer { format.widen($0.baseAddress!, to: &wide, count: bits.count) }
                for threads in [1, 2] {
                    let parallel = Parallel(threads: threads)
                    var expected = [Float](repeating: 0, count: rows * outDim), got = expected
                    // The same buffer read as nn.Linear [out, in] and as Conv1D [in, out].
                    linearParallel(&expected, x, wide, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: parallel)
                    bits.withUnsafeBufferPointer { b in
                        linearParallel(&got, x, .half(b.baseAddress!, format), bias, rows: rows, inDim: inDim, outDim: outDim,
                                       parallel: parallel)
                    }
                    XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "linear \(format) \(rows)×\(inDim)×\(outDim)")
                    conv1DParallel(&expected, x, wide, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: parallel)
                    bits.withUnsafeBufferPointer { b in
                        conv1DParallel(&got, x, .half(b.baseAddress!, format), bias, rows: rows, inDim: inDim, outDim: outDim,
                                       parallel: parallel)
                    }
                    XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "conv1D \(format) \(rows)×\(inDim)×\(outDim)")
                }
            }
        }
    }

    func testScratchIsReusedNotGrownPerCall() {
        // Two nested borrowers get two buffers; afterwards a third borrower reuses the larger.
        var first: UnsafeMutablePointer<Float>?, second: UnsafeMutablePointer<Float>?
        let pool = ScratchPool()
        pool.with(count: 1000) { a in
            first = a
            pool.with(count: 10) { b in
                second = b
                XCTAssertNotEqual(a, b, "a buffer in use is not lent twice")
            }
        }
        pool.with(count: 500) { c in XCTAssertEqual(c, first, "the largest free buffer serves the next caller") }
        XCTAssertNotNil(second)
    }
}
