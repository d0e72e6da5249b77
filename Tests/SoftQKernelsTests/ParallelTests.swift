import Foundation
import SoftQBase
import SoftQKernels
import XCTest

/// `Parallel.map` (ordered, deterministic results and errors) and `BLAS.withThreads` (the one
/// scope that changes OpenBLAS's process-wide thread count).
final class ParallelTests: XCTestCase {
    struct ItemError: Error, Equatable { let item: Int }

    func testMapReturnsResultsInItemOrderAtAnyThreadCount() {
        // Uneven work per item, so workers finish out of order.
        func work(_ i: Int) -> Double { (0..<(1 + (i * 7919) % 500)).reduce(Double(i)) { $0 + sin(Double($1)) } }
        let serial = Parallel.serial.map(37) { i, w -> Double in
            XCTAssertEqual(w, 0)
            return work(i)
        }
        XCTAssertEqual(serial, (0..<37).map(work))
        for threads in [2, 3, 8, 64] {
            let workers = min(threads, 37)
            let parallel = Parallel(threads: threads).map(37) { i, w -> Double in
                XCTAssertEqual(w, i % workers, "item \(i) ran on worker \(w) of \(workers)")
                return work(i)
            }
            XCTAssertEqual(parallel.map(\.bitPattern), serial.map(\.bitPattern), "threads \(threads)")
        }
        XCTAssertEqual(Parallel(threads: 4).map(0) { i, _ in i }, [])
    }

    func testMapBalancedRunsEveryItemOnceInItemOrder() {
        func work(_ i: Int) -> Double { (0..<(1 + (i * 7919) % 500)).reduce(Double(i)) { $0 + sin(Double($1)) } }
        let expected = (0..<53).map(work)
        for threads in [1, 2, 3, 8, 64] {
            let runs = NSLock()
            nonisolated(unsafe) var counts = [Int](repeating: 0, count: 53)
            let out = Parallel(threads: threads).mapBalanced(53) { i -> Double in
                runs.withLock { counts[i] += 1 }
                return work(i)
            }
            XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "threads \(threads)")
            XCTAssertEqual(counts, [Int](repeating: 1, count: 53), "threads \(threads)")
        }
        XCTAssertEqual(Parallel(threads: 4).mapBalanced(0) { $0 }, [])
        XCTAssertEqual(Parallel(threads: 4).mapBalanced(1) { $0 + 1 }, [1])
    }

    func testMapThrowsTheLowestFailingItemAndRunsEveryItem() {
        for threads in [1, 2, 5] {
            let ran = Counter()
            XCTAssertThrowsError(try Parallel(threads: threads).map(20) { i, _ throws(ItemError) -> Int in
                ran.add()
                if i == 13 || i == 6 || i == 17 { throw ItemError(item: i) }
                return i
            }) { error in
                XCTAssertEqual(error as? ItemError, ItemError(item: 6), "threads \(threads)")
            }
            // The serial path stops at the first failure; the parallel path runs all items.
            XCTAssertEqual(ran.value, threads == 1 ? 7 : 20, "threads \(threads)")
        }
    }

    /// Two scorings in one process, overlapping in the worst order: A enters, B enters, A leaves
    /// while B still runs, then B leaves. B must keep its count after A has left, and the count
    /// from before A must come back at the end (saving and restoring around each scope fails
    /// both: A restores the old count under B's feet, and B then restores A's).
    func testOverlappingScopesKeepTheCountAndRestoreTheOriginal() {
        let before = BLAS.threads
        let n = before == 1 ? 2 : 1  // a count different from the process's
        let aIn = DispatchSemaphore(value: 0), bIn = DispatchSemaphore(value: 0), aOut = DispatchSemaphore(value: 0)
        sideBySide(restoring: before, { seen in
            BLAS.withThreads(n) {
                aIn.signal()
                seen.record("A waited for B", bIn.wait(timeout: .now() + 10) == .success)
            }
            aOut.signal()
        }, { seen in
            _ = aIn.wait(timeout: .now() + 10)
            BLAS.withThreads(n) {
                bIn.signal()
                _ = aOut.wait(timeout: .now() + 10)
                seen.record("B kept its count after A left", BLAS.threads == n)
            }
        })
    }

    /// A scope asking for another count waits until the running one has left, so the running
    /// scope's count never changes under it.
    func testAScopeOfAnotherCountWaitsForTheRunningOne() {
        let before = BLAS.threads
        let aIn = DispatchSemaphore(value: 0)
        let aLeft = Flag()
        sideBySide(restoring: before, { seen in
            BLAS.withThreads(2) {
                aIn.signal()
                Thread.sleep(forTimeInterval: 0.3)  // B tries to enter meanwhile
                seen.record("A kept two threads", BLAS.threads == 2)
                aLeft.set()
            }
        }, { seen in
            _ = aIn.wait(timeout: .now() + 10)
            BLAS.withThreads(1) {
                seen.record("B entered only after A left", aLeft.value)
                seen.record("B runs on one thread", BLAS.threads == 1)
            }
        })
    }

    /// Runs `a` and `b` on two threads at once; once both are done, no check they recorded may
    /// have failed and the process must have the thread count `before` again.
    private func sideBySide(restoring before: Int, _ a: @escaping @Sendable (Recorder) -> Void,
                            _ b: @escaping @Sendable (Recorder) -> Void, line: UInt = #line) {
        let seen = Recorder(), done = DispatchGroup()
        DispatchQueue.global().async(group: done) { a(seen) }
        DispatchQueue.global().async(group: done) { b(seen) }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the scopes did not finish", line: line)
        XCTAssertEqual(seen.failures, [], line: line)
        XCTAssertEqual(BLAS.threads, before, "the thread count was not restored", line: line)
    }

    /// Many scopes at once, of both counts and nested: inside each the count is the one it
    /// asked for, products under one thread are the same bits as outside any overlap, and the
    /// count comes back at the end.
    func testManyConcurrentScopesGiveIdenticalProducts() {
        let before = BLAS.threads
        var rng = SeededGenerator(seed: 11)
        let n = 96
        let a = (0..<(n * n)).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<(n * n)).map { _ in Float(rng.nextGaussian()) }
        func product() -> [UInt32] {
            var c = [Float](repeating: 0, count: n * n)
            BLAS.sgemm(.none, .none, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
            return c.map(\.bitPattern)
        }
        let expected = BLAS.withThreads(1) { product() }
        let asked = [1, 1, 1, 2, 1, 2]  // items 3 and 5 ask for two threads
        let seen = Recorder()
        for _ in 0..<3 {
            Parallel(threads: asked.count).forEach(asked.count) { item, _ in
                for _ in 0..<4 {
                    BLAS.withThreads(asked[item]) {
                        seen.record("count at entry", BLAS.threads == asked[item])
                        let bits = product()
                        if asked[item] == 1 { seen.record("single-threaded bits", bits == expected) }
                        // Nested scopes with the same count share the outer one.
                        BLAS.withThreads(asked[item]) { seen.record("nested count", BLAS.threads == asked[item]) }
                        seen.record("count at exit", BLAS.threads == asked[item])
                    }
                }
            }
        }
        XCTAssertEqual(seen.failures, [])
        XCTAssertEqual(BLAS.threads, before, "the thread count was not restored")
    }

    func testScopeRestoresTheCountWhenItsBodyThrows() {
        let before = BLAS.threads
        XCTAssertThrowsError(try BLAS.withThreads(before == 1 ? 2 : 1) { () throws -> Void in
            XCTAssertEqual(BLAS.threads, before == 1 ? 2 : 1)
            throw ItemError(item: 0)
        })
        XCTAssertEqual(BLAS.threads, before)
    }
}

/// A counter that concurrent test closures increment.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// Checks made on other threads, collected under a lock; `failures` names each failed one once.
private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var failed: [String] = []
    func record(_ what: String, _ ok: Bool) {
        lock.lock(); defer { lock.unlock() }
        if !ok && !failed.contains(what) { failed.append(what) }
    }
    var failures: [String] { lock.lock(); defer { lock.unlock() }; return failed }
}

/// A flag set on one thread and read on another.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    func set() { lock.lock(); isSet = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return isSet }
}
