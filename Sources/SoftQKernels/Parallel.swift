import Foundation
import SoftQBase

/// Runs independent work items on up to `threads` workers. Callers split work into items of a
/// fixed size that never depends on `threads`, and each item writes only its own outputs, so
/// results are the same bits at any thread count.
public struct Parallel: Sendable {
    public let threads: Int
    public init(threads: Int) { self.threads = max(1, threads) }
    public static let serial = Parallel(threads: 1)

    /// Calls body(item, worker) for item in 0..<count; worker ∈ 0..<min(threads, count) indexes
    /// per-worker scratch space. Item i runs on worker i % workers.
    public func forEach(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // concurrentPerform wants a @Sendable closure; callers' items write disjoint outputs
            // (the contract above) and the call returns only after every item has run.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for i in stride(from: w, to: count, by: workers) { body(i, w) }
            }
        }
    }

    /// Returns [body(0, w₀), body(1, w₁), …, body(count − 1, …)] in item order, computed on up to
    /// `threads` workers with the same item-to-worker assignment as `forEach` (item i on worker
    /// i % workers). Each item's result depends only on its item, so the array is the same at
    /// any thread count. Every item runs even when one throws; the error thrown is the one of
    /// the lowest-numbered failing item, so which error surfaces does not depend on timing.
    public func map<T, E: Error>(_ count: Int, _ body: (_ item: Int, _ worker: Int) throws(E) -> T) throws(E) -> [T] {
        if min(threads, count) <= 1 {
            var out: [T] = []
            out.reserveCapacity(count)
            for i in 0..<count { out.append(try body(i, 0)) }
            return out
        }
        var slots = [Result<T, E>?](repeating: nil, count: count)
        slots.withUnsafeMutableBufferPointer { buffer in
            // Each slot is written by exactly one worker and read only after all have finished.
            nonisolated(unsafe) let slot = buffer.baseAddress!
            forEach(count) { i, w in
                do throws(E) { slot[i] = .success(try body(i, w)) } catch { slot[i] = .failure(error) }
            }
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for s in slots { out.append(try s!.get()) }
        return out
    }

    /// [body(0), …, body(count − 1)] in item order, each item handed to whichever worker is free
    /// next (items of unequal cost keep both cores busy, where `map`'s fixed assignment leaves
    /// one idle at the end). Only for items that use no per-worker scratch: an item's result
    /// must depend on the item alone, which then holds at any thread count and any timing.
    public func mapBalanced<T>(_ count: Int, _ body: (_ item: Int) -> T) -> [T] {
        let workers = min(threads, count)
        if workers <= 1 { return (0..<count).map(body) }
        var slots = [T?](repeating: nil, count: count)
        let next = NSLock()
        nonisolated(unsafe) var taken = 0
        slots.withUnsafeMutableBufferPointer { buffer in
            // Each slot is written by exactly one worker and read only after all have finished.
            nonisolated(unsafe) let slot = buffer.baseAddress!
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    while true {
                        let i: Int = next.withLock { defer { taken += 1 }; return taken }
                        if i >= count { return }
                        slot[i] = body(i)
                    }
                }
            }
        }
        return slots.map { $0! }
    }

    /// Workers available to each of `items` concurrent work items.
    public func share(among items: Int) -> Parallel { Parallel(threads: threads / max(1, min(items, threads))) }
}

/// Output columns per BLAS call in `linearParallel`/`conv1DParallel`: a function of the
/// product's width alone, never of the thread count, so the products are the same bits at any
/// thread count. Narrow products (< 512 columns) are one call; wider ones are two halves
/// (multiples of 64), enough for two cores. Fewer calls matter: each call packs the whole input
/// again (with 256-column chunks that repacking was 6% of a GPT-2 pass).
public func productColumnChunk(outDim: Int) -> Int {
    outDim < 512 ? max(1, outDim) : ((outDim + 1) / 2 + 63) / 64 * 64
}

/// c [m, n] = a [m, k] · op(b), op(b) = bᵀ (b [n, k]) or b (b [k, n]), as one sgemm call.
/// With a stacking rule, a product too small for the large-product kernels
/// (`StackingRule.minimumRows`) runs on a copy of a padded with zero rows, so that its rows get
/// the bits they would get inside any larger product; without one, it is the plain call.
public func stackableProduct(_ transB: BLAS.Transpose, m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, stacking: StackingRule?) {
    let padded = stacking?.minimumRows(n: n, k: k) ?? 0
    guard padded > m, m > 0 else {
        BLAS.sgemm(.none, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        return
    }
    // Only small products get here (rows·n·k ≤ the limit, a few million multiply-adds), so
    // the copies cost little next to the product.
    var x = [Float](repeating: 0, count: padded * k), y = [Float](repeating: 0, count: padded * n)
    x.withUnsafeMutableBufferPointer { xp in
        for r in 0..<m { (xp.baseAddress! + r * k).update(from: a + r * lda, count: k) }
    }
    BLAS.sgemm(.none, transB, m: padded, n: n, k: k, a: x, lda: k, b: b, ldb: ldb, c: &y, ldc: n)
    y.withUnsafeBufferPointer { yp in
        for r in 0..<m { (c + r * ldc).update(from: yp.baseAddress! + r * n, count: n) }
    }
}

/// Linear layer with a PyTorch `nn.Linear` weight, out = x · Wᵀ (+ bias), with the output
/// columns split into fixed chunks run in parallel.
/// out: [rows, outDim], x: [rows, inDim], w: [outDim, inDim], bias: [outDim] or nil.
public func linearParallel(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                           _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                           rows: Int, inDim: Int, outDim: Int, parallel: Parallel, stacking: StackingRule? = nil) {
    linearParallel(out, x, .float32(w), bias, rows: rows, inDim: inDim, outDim: outDim, parallel: parallel, stacking: stacking)
}

/// `linearParallel` over stored weight elements: a 16-bit chunk of weight rows [n, inDim] is
/// widened into scratch and multiplied by the same sgemm call as a float32 chunk (same bits).
/// `stacking`: x stacks several sequences' rows (`BLAS.stacking`); small products are padded.
public func linearParallel(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                           _ w: MatrixElements, _ bias: UnsafePointer<Float>?,
                           rows: Int, inDim: Int, outDim: Int, parallel: Parallel, stacking: StackingRule? = nil) {
    let chunk = productColumnChunk(outDim: outDim), chunks = (outDim + chunk - 1) / chunk
    nonisolated(unsafe) let out = out, x = x, w = w, bias = bias
    parallel.forEach(chunks) { c, _ in
        let c0 = c * chunk, n = min(chunk, outDim - c0)
        withFloatRows(w, from: c0, rows: n, rowLength: inDim) { panel in
            stackableProduct(.transpose, m: rows, n: n, k: inDim, a: x, lda: inDim, b: panel, ldb: inDim,
                             c: out + c0, ldc: outDim, stacking: stacking)
        }
        if let bias { for r in 0..<rows { for j in 0..<n { out[r * outDim + c0 + j] += bias[c0 + j] } } }
    }
}

/// Linear layer with a GPT-2 `Conv1D` weight (stored [in, out]), out = x · W (+ bias), with the
/// output columns split into fixed chunks run in parallel.
/// out: [rows, outDim], x: [rows, inDim], w: [inDim, outDim], bias: [outDim] or nil.
public func conv1DParallel(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                           _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                           rows: Int, inDim: Int, outDim: Int, parallel: Parallel, stacking: StackingRule? = nil) {
    conv1DParallel(out, x, .float32(w), bias, rows: rows, inDim: inDim, outDim: outDim, parallel: parallel, stacking: stacking)
}

/// `conv1DParallel` over stored weight elements: a 16-bit chunk of weight columns [inDim, n] is
/// widened into a dense scratch panel; sgemm packs B before computing, so reading the same
/// values with another row stride is the same arithmetic (same bits as float32).
public func conv1DParallel(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                           _ w: MatrixElements, _ bias: UnsafePointer<Float>?,
                           rows: Int, inDim: Int, outDim: Int, parallel: Parallel, stacking: StackingRule? = nil) {
    let chunk = productColumnChunk(outDim: outDim), chunks = (outDim + chunk - 1) / chunk
    nonisolated(unsafe) let out = out, x = x, w = w, bias = bias
    parallel.forEach(chunks) { c, _ in
        let c0 = c * chunk, n = min(chunk, outDim - c0)
        withFloatColumns(w, from: c0, cols: n, rows: inDim, rowLength: outDim) { panel, ldb in
            stackableProduct(.none, m: rows, n: n, k: inDim, a: x, lda: inDim, b: panel, ldb: ldb,
                             c: out + c0, ldc: outDim, stacking: stacking)
        }
        if let bias { for r in 0..<rows { for j in 0..<n { out[r * outDim + c0 + j] += bias[c0 + j] } } }
    }
}
