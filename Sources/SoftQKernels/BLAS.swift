import COpenBLAS
import Foundation

/// The only file that talks to CBLAS. Every large matrix product in softq goes through here.
public enum BLAS {
    public enum Transpose { case none, transpose }

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major.
    /// lda/ldb/ldc are the row strides of A, B, C as stored.
    @inline(__always)
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor,
                    transA == .none ? CblasNoTrans : CblasTrans,
                    transB == .none ? CblasNoTrans : CblasTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Double-precision product, for float64 reference paths in tests and gradient checks.
    @inline(__always)
    public static func dgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor,
                    transA == .none ? CblasNoTrans : CblasTrans,
                    transB == .none ? CblasNoTrans : CblasTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The kernel family OpenBLAS chose for this CPU at load ("Haswell", "Prescott", "SkylakeX", …).
    public static let coreName: String = openblas_get_corename().map { String(cString: $0) } ?? "unknown"

    /// Why the kernel family matters to a user, or nil when it does not: OpenBLAS's runtime
    /// detection falls back to its Prescott (SSE3) kernels on CPUs it does not recognise, even
    /// when they have AVX2 and FMA (seen on virtual CPUs that report a generic model name), and
    /// those kernels run sgemm 3.5–4.6× slower than the Haswell or SkylakeX ones on the same
    /// CPU (docs/performance.md). softq never overrides the choice itself — it also changes the
    /// low bits of every product — so it says what the user can do.
    public static var kernelAdvice: String? {
        kernelAdvice(coreName: coreName, cpuFlags: CPUFlags.current)
    }

    /// `kernelAdvice` for a given family and set of CPU feature flags (testable without the CPU).
    public static func kernelAdvice(coreName: String, cpuFlags: Set<String>) -> String? {
        let slow: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "northwood"]
        guard slow.contains(coreName.lowercased()), cpuFlags.contains("avx2"), cpuFlags.contains("fma") else { return nil }
        let family = cpuFlags.contains("avx512f") ? "SkylakeX" : "Haswell"
        return "OpenBLAS chose its \(coreName) kernels on a CPU with AVX2 and FMA; "
            + "OPENBLAS_CORETYPE=\(family)\(family == "Haswell" ? "" : " (or Haswell)") in the environment typically makes scoring 2-4x faster "
            + "(low bits of results change with the kernel family; docs/performance.md)"
    }

    /// How several sequences may share one product and keep every row's bits, or nil when
    /// that is not shown for this kernel family (then each sequence is its own product).
    /// Measured (docs/performance.md, `BatchInvarianceTests`, `Scripts/bench/stacking_invariance.py`):
    /// - a row's bits depend on where it falls in the kernel's tile of rows (full tile or
    ///   remainder), so each sequence's rows are padded to a multiple of the tile and start on
    ///   one: Prescott's kernel tiles rows by 4, Sandy Bridge's shows no dependence (1),
    ///   Haswell's and Zen's by 12 (a 16×12 micro-tile, then 8 and 4); SkylakeX's computes
    ///   each row alike wherever it falls (1), and so does Cooper Lake's (the same sgemm kernels);
    /// - SkylakeX and Cooper Lake also switch to other kernels for small products, chosen by the size of the
    ///   whole product: the AVX-512 "direct" sgemm for row-major x·W when m·n·k < 28·512²
    ///   (OpenBLAS interface/gemm.c) and the small-matrix kernels when m·n·k ≤ 100³. A product
    ///   of that size, stacked or alone, is padded with zero rows past the limit
    ///   (`StackingRule.minimumRows`), so every row goes through the large-product kernels.
    /// Unknown families are not trusted.
    public static let stacking: StackingRule? = StackingRule(coreName: coreName)

    /// OpenBLAS's current thread count (process-wide).
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS's process-wide thread count at `n` and restores the count the
    /// process had before, once no scope needs it any more.
    ///
    /// Why single-threaded BLAS: multi-threaded OpenBLAS was seen to change low bits of
    /// products, so scoring and training run BLAS on one thread and parallelise over fixed-size
    /// work items themselves (`Parallel`), which keeps results identical at any thread count.
    ///
    /// The thread count is one setting for the whole process, so scopes coordinate through one
    /// lock: scopes asking for the same count run together (the first to enter saves the old
    /// count and sets `n`, the last to leave restores it); a scope asking for another count
    /// waits until every running scope has left. Hence, inside any scope, `threads == n` for its
    /// whole duration, and after the last scope the count is the one from before the first —
    /// two scorings in one process can neither change each other's bits nor leave BLAS at one
    /// thread. Scopes nest when they ask for the same count; a nested scope that asks for a
    /// different count than the one it runs inside would wait for itself, so softq never does
    /// that. Callers outside a scope must not set the count themselves.
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        BLASThreadScope.shared.enter(max(1, n))
        defer { BLASThreadScope.shared.leave() }
        return try body()
    }
}

/// The bookkeeping behind `BLAS.withThreads`: which count the running scopes hold, how many
/// they are, and the count to restore after the last one. All fields are guarded by `condition`.
private final class BLASThreadScope: @unchecked Sendable {
    static let shared = BLASThreadScope()
    private let condition = NSCondition()
    private var active = 0
    private var activeThreads = 0
    private var savedThreads = 0

    func enter(_ n: Int) {
        condition.lock()
        defer { condition.unlock() }
        while active > 0 && activeThreads != n { condition.wait() }
        if active == 0 {
            savedThreads = Int(openblas_get_num_threads())
            activeThreads = n
            if savedThreads != n { openblas_set_num_threads(Int32(n)) }
        }
        active += 1
    }

    func leave() {
        condition.lock()
        defer { condition.unlock() }
        active -= 1
        if active == 0 {
            if savedThreads != activeThreads { openblas_set_num_threads(Int32(savedThreads)) }
            condition.broadcast()
        }
    }
}

/// The CPU's feature flags as Linux lists them in /proc/cpuinfo ("avx2", "fma", "avx512f", …);
/// empty where that file does not exist or cannot be read.
public enum CPUFlags {
    public static let current: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return parse(cpuinfo: text)
    }()

    /// The flags of the first processor listed (x86 `flags`, ARM `Features`).
    public static func parse(cpuinfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if key == "flags" || key == "Features" {
                return Set(parts[1].split(separator: " ").map(String.init))
            }
        }
        return []
    }
}

/// When the rows of several sequences can share one matrix product and still get, bit for bit,
/// the values they get in a product of their own (`BLAS.stacking`).
public struct StackingRule: Sendable, Equatable {
    /// Each sequence's block of rows is padded with zero rows to a multiple of this.
    public var rowMultiple: Int
    /// Products with rows·n·k at or below this may run on other kernels; they are padded with
    /// zero rows past it (0: no such kernels).
    public var smallProductLimit: Int

    public init(rowMultiple: Int, smallProductLimit: Int) {
        precondition(rowMultiple >= 1 && smallProductLimit >= 0)
        self.rowMultiple = rowMultiple
        self.smallProductLimit = smallProductLimit
    }

    /// The rule for an OpenBLAS kernel family (`openblas_get_corename`), or nil when not shown.
    public init?(coreName: String) {
        switch coreName.lowercased() {
        case "prescott": self.init(rowMultiple: 4, smallProductLimit: 0)
        case "sandybridge": self.init(rowMultiple: 1, smallProductLimit: 0)
        case "haswell", "zen": self.init(rowMultiple: 12, smallProductLimit: 0)
        case "skylakex", "cooperlake": self.init(rowMultiple: 1, smallProductLimit: 28 * 512 * 512)
        default: return nil
        }
    }

    /// The fewest rows a product of n output columns and depth k must have to run on the
    /// large-product kernels: a multiple of `rowMultiple` with rows·n·k > `smallProductLimit`.
    public func minimumRows(n: Int, k: Int) -> Int {
        let size = max(1, n) * max(1, k)
        let rows = smallProductLimit / size + 1
        return (rows + rowMultiple - 1) / rowMultiple * rowMultiple
    }
}

