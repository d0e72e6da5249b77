import SoftQBase

/// A weight that enters matrix products (projections, embeddings, the output layer), kept in
/// the element type the checkpoint stores: float32 (a `Tensor`), or float16/bfloat16 bits that
/// the product kernels widen to float32 one panel at a time. Widening is exact, so a product
/// over a 16-bit matrix equals the product over the matrix widened at load, bit for bit, while
/// the resident weights take half the memory.
///
/// 16-bit storage is memory-mapped from the checkpoint when the dataset is contiguous,
/// uncompressed and 2-byte aligned (offset and size checked against the file's size by
/// `H5Dataset.mappedBytes`), otherwise read into an owned buffer. Read-only once made.
///
/// `@unchecked Sendable`: every stored property is a `let`, and the memory behind the pointers
/// is never written after `init` returns (as for `Tensor`).
public final class WeightMatrix: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let elements: MatrixElements
    public let isMapped: Bool
    /// The float32 tensor, or the owner of mapped or owned 16-bit storage.
    private let keepAlive: AnyObject?
    private let ownedHalf: UnsafeMutablePointer<UInt16>?

    /// A float32 tensor used as a weight matrix (shared, not copied).
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        count = tensor.count
        elements = .float32(tensor.data)
        isMapped = tensor.isMapped
        keepAlive = tensor
        ownedHalf = nil
    }

    /// 16-bit values viewed in read-only memory owned by `owner` (a mapped file region): no copy.
    public init(shape: [Int], mapped pointer: UnsafePointer<UInt16>, format: HalfFormat, owner: AnyObject) {
        self.shape = shape
        count = shape.reduce(1, *)
        elements = .half(pointer, format)
        isMapped = true
        keepAlive = owner
        ownedHalf = nil
    }

    /// 16-bit values in owned storage, zero-filled and then handed to `fill` (the only time
    /// they can be written): `fill` receives `product(shape)` elements.
    public init(shape: [Int], format: HalfFormat,
                initializingWith fill: (UnsafeMutableBufferPointer<UInt16>) throws -> Void) rethrows {
        let count = shape.reduce(1, *)
        let storage = UnsafeMutablePointer<UInt16>.allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0, count: max(count, 1))
        do { try fill(UnsafeMutableBufferPointer(start: storage, count: count)) } catch { storage.deallocate(); throw error }
        self.shape = shape
        self.count = count
        elements = .half(UnsafePointer(storage), format)
        isMapped = false
        keepAlive = nil
        ownedHalf = storage
    }

    deinit { ownedHalf?.deallocate() }

    /// The stored element type.
    public var dtype: DType {
        switch elements {
        case .float32: return .float32
        case .half(_, .float16): return .float16
        case .half(_, .bfloat16): return .bfloat16
        }
    }

    /// Bytes the stored elements take.
    public var storedBytes: Int { count * (dtype == .float32 ? 4 : 2) }

    /// Widens elements offset ..< offset + n into `dst` (a copy for float32).
    public func widen(from offset: Int, count n: Int, into dst: UnsafeMutablePointer<Float>) {
        precondition(offset >= 0 && n >= 0 && offset + n <= count, "WeightMatrix.widen out of range")
        switch elements {
        case .float32(let p): dst.update(from: p + offset, count: n)
        case .half(let p, let format): format.widen(p + offset, to: dst, count: n)
        }
    }

    /// Rows `indices` of a matrix whose first axis is split (a fused projection's weight
    /// [out, in]), as a new owned matrix [indices.count, …] in the same element type.
    public func gatherRows(_ indices: [Int]) -> WeightMatrix {
        let rowSize = count / max(shape[0], 1)
        let newShape = [indices.count] + shape.dropFirst()
        switch elements {
        case .float32(let p):
            return WeightMatrix(Tensor(shape: newShape) { out in
                for (r, i) in indices.enumerated() { (out.baseAddress! + r * rowSize).update(from: p + i * rowSize, count: rowSize) }
            })
        case .half(let p, let format):
            return WeightMatrix(shape: newShape, format: format) { out in
                for (r, i) in indices.enumerated() { (out.baseAddress! + r * rowSize).update(from: p + i * rowSize, count: rowSize) }
            }
        }
    }

    /// True when both hold the same values (compared as float32, as `==` does: the widened
    /// values of 16-bit elements are exact).
    public func sameValues(as other: WeightMatrix) -> Bool {
        guard shape == other.shape else { return false }
        var x: Float = 0, y: Float = 0
        for i in 0..<count {
            widen(from: i, count: 1, into: &x)
            other.widen(from: i, count: 1, into: &y)
            if x != y { return false }
        }
        return true
    }
}
