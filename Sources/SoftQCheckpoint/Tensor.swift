import Foundation

/// Element types a checkpoint may store. Weights are always handed to models as float32;
/// float16 and bfloat16 are converted in Swift at load time (HDF5's own half conversion is
/// an order of magnitude slower: 2.56 s against 0.17 s for 16M values, measured).
public enum DType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int32, int64, uint8, uint16
}

/// A dense, row-major float32 tensor whose memory is either owned or memory-mapped from a
/// checkpoint file. Read-only once made: owned storage is written only by the initializer
/// that allocates it, and mapped pages are PROT_READ, so `data` is a read-only pointer.
///
/// A class so that weights are shared, not copied, between the model, the trainer and the
/// caches; the storage lives exactly as long as the last tensor that uses it.
///
/// `@unchecked Sendable`: every stored property is a `let`, and the memory behind `data` is
/// never written after `init` returns (owned storage is filled before `self` escapes; mapped
/// pages cannot be written), so concurrent readers are safe.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    /// First element, read-only: for mapped tensors the pages are PROT_READ.
    public let data: UnsafePointer<Float>
    public let isMapped: Bool
    private let keepAlive: AnyObject?

    /// A zero-filled tensor with owned, 64-byte aligned storage.
    public convenience init(zeros shape: [Int]) {
        self.init(shape: shape) { _ in }
    }

    /// A tensor with owned, 64-byte aligned storage, zero-filled and then handed to `fill`
    /// (the only time it can be written): `fill` receives `product(shape)` elements.
    public init(shape: [Int], initializingWith fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let storage = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        do { try fill(UnsafeMutableBufferPointer(start: storage, count: count)) } catch { raw.deallocate(); throw error }
        self.shape = shape
        self.count = count
        self.data = UnsafePointer(storage)
        self.isMapped = false
        self.keepAlive = nil
    }

    /// A tensor with owned storage copied from `values` (row-major, `values.count == product(shape)`).
    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Tensor(shape:values:) count mismatch")
        self.init(shape: shape) { dst in _ = dst.update(fromContentsOf: values) }
    }

    /// A tensor viewing read-only memory owned by `owner` (a mapped file region): no copy.
    public init(shape: [Int], mapped pointer: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = pointer
        self.isMapped = true
        self.keepAlive = owner
    }

    deinit {
        if !isMapped { UnsafeMutableRawPointer(mutating: data).deallocate() }
    }

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    /// The index of the first non-finite element, if any.
    public func firstNonFinite() -> Int? {
        for i in 0..<count where !data[i].isFinite { return i }
        return nil
    }
}
