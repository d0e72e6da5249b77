import Foundation
import SoftQBase

/// Float32 views of weight panels for BLAS. sgemm reads float32 only, so 16-bit weights are
/// widened one panel at a time (the columns one call multiplies) into scratch that is reused,
/// call after call: the model stays 16-bit in memory, and only `threads` panels are ever float32.
/// Widening is exact and the panel holds exactly the values (and layout) that a matrix widened at
/// load would present to the same sgemm call, so the products are the same bits.

/// Runs `body` with a float32 pointer to rows row0 ..< row0 + rows of a row-major matrix with
/// `rowLength` elements per row: the stored memory itself for float32, a widened copy for 16-bit.
/// panel: [rows, rowLength]
@inline(__always)
public func withFloatRows<R>(_ w: MatrixElements, from row0: Int, rows: Int, rowLength: Int,
                             _ body: (UnsafePointer<Float>) -> R) -> R {
    switch w {
    case .float32(let p):
        return body(p + row0 * rowLength)
    case .half(let p, let format):
        return ScratchPool.shared.with(count: rows * rowLength) { panel in
            format.widen(p + row0 * rowLength, to: panel, count: rows * rowLength)
            return body(panel)
        }
    }
}

/// Runs `body` with a float32 pointer to columns col0 ..< col0 + cols of a row-major matrix
/// [rows, rowLength], and the row stride to read them with: the stored memory itself (stride
/// rowLength) for float32, a widened dense copy [rows, cols] (stride cols) for 16-bit.
@inline(__always)
public func withFloatColumns<R>(_ w: MatrixElements, from col0: Int, cols: Int, rows: Int, rowLength: Int,
                                _ body: (_ panel: UnsafePointer<Float>, _ stride: Int) -> R) -> R {
    switch w {
    case .float32(let p):
        return body(p + col0, rowLength)
    case .half(let p, let format):
        return ScratchPool.shared.with(count: rows * cols) { panel in
            for r in 0..<rows { format.widen(p + r * rowLength + col0, to: panel + r * cols, count: cols) }
            return body(panel, cols)
        }
    }
}

/// Float32 scratch buffers lent to one caller at a time and kept for the next. Panels are large
/// (up to megabytes): allocating one per product would map fresh pages and fault them in on every
/// call. The pool holds at most as many buffers as were ever in use at once (one per worker),
/// each as large as the largest panel it served; they live as long as the process.
public final class ScratchPool: @unchecked Sendable {
    public static let shared = ScratchPool()
    public init() {}
    private let lock = NSLock()
    /// Free buffers (base, capacity); guarded by `lock`.
    private var free: [(UnsafeMutablePointer<Float>, Int)] = []

    /// Runs `body` with a buffer of at least `count` floats (contents unspecified) that no other
    /// caller uses meanwhile.
    public func with<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        var buffer = take()
        if buffer.1 < count {
            buffer.0.deallocate()
            buffer = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
        }
        defer { give(buffer) }
        return body(buffer.0)
    }

    private func take() -> (UnsafeMutablePointer<Float>, Int) {
        lock.lock()
        defer { lock.unlock() }
        // The largest, so that a small buffer is not grown while a large one sits idle.
        guard let i = free.indices.max(by: { free[$0].1 < free[$1].1 }) else {
            return (UnsafeMutablePointer<Float>.allocate(capacity: 0), 0)
        }
        return free.remove(at: i)
    }

    private func give(_ buffer: (UnsafeMutablePointer<Float>, Int)) {
        lock.lock()
        defer { lock.unlock() }
        free.append(buffer)
    }
}
