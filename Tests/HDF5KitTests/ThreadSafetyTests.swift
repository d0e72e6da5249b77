@testable import HDF5Kit
import XCTest

/// H5File, H5Group and H5Dataset are `Sendable` because libhdf5 serialises its own calls; a
/// library built without thread safety would make that conformance a lie.
final class ThreadSafetyTests: XCTestCase {
    func testLibhdf5IsBuiltThreadSafe() {
        XCTAssertTrue(HDF5Library.isThreadSafe, "libhdf5 must be built with --enable-threadsafe (Debian's libhdf5-dev is)")
    }
}
