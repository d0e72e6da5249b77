import SoftQCheckpoint
import XCTest

/// Owned tensors are written once, by the initializer that allocates them; afterwards a tensor
/// is read-only (`data` is an `UnsafePointer`), which is what makes sharing it across threads safe.
final class TensorStorageTests: XCTestCase {
    struct FillFailed: Error, Equatable { let index: Int }

    func testInitializerFillsZeroedAlignedStorage() {
        let t = Tensor(shape: [2, 3]) { dst in
            XCTAssertEqual(dst.count, 6)
            XCTAssertEqual(Array(dst), [0, 0, 0, 0, 0, 0], "storage is zeroed before the fill")
            for i in 0..<4 { dst[i] = Float(i) + 0.5 }
        }
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.array, [0.5, 1.5, 2.5, 3.5, 0, 0])
        XCTAssertFalse(t.isMapped)
        XCTAssertEqual(Int(bitPattern: t.data) % 64, 0, "64-byte aligned for SIMD loads")
        XCTAssertEqual(Tensor(zeros: [3]).array, [0, 0, 0])
        XCTAssertEqual(Tensor(shape: [2], values: [7, -1]).array, [7, -1])
    }

    func testAFailingFillThrowsItsError() {
        XCTAssertThrowsError(try Tensor(shape: [4]) { dst in dst[0] = 1; throw FillFailed(index: 1) }) { e in
            XCTAssertEqual(e as? FillFailed, FillFailed(index: 1))
        }
    }

    func testEmptyShapeProductIsAnEmptyTensor() {
        let t = Tensor(shape: [0, 5]) { dst in XCTAssertEqual(dst.count, 0) }
        XCTAssertEqual(t.count, 0)
        XCTAssertEqual(t.array, [])
    }
}
