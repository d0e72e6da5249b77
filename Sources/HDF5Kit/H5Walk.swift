import CHDF5

/// What `H5Group.walk()` found below a group: every dataset once, and every link that led to
/// an object already seen (a second name for a dataset, or a group reached again — a cycle).
public struct H5Walk: Sendable, Equatable {
    public struct Alias: Sendable, Equatable {
        /// The path of the second link, relative to the walked group.
        public var path: String
        /// The path under which the object was first seen ("" for the walked group itself).
        public var sameAs: String
        public var isGroup: Bool
    }

    /// Dataset paths relative to the walked group, depth first in name order.
    public var datasets: [String] = []
    public var aliases: [Alias] = []
}

/// An HDF5 object's identity within the process: the file number and the object's address
/// (1.10) or token (1.12+). Two links lead to the same object exactly when their keys are equal.
struct H5ObjectKey: Hashable {
    let fileno: UInt
    let low: UInt64
    let high: UInt64

    init(_ key: softq_object_key) {
        fileno = UInt(key.fileno)
        var k = key
        (low, high) = withUnsafeBytes(of: &k.token) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }
}
