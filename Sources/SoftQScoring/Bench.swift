import Dispatch
import Foundation
import SoftQBase
import SoftQKernels
import SoftQModels

/// What `softq bench` measures and how (docs/performance.md).
public struct BenchOptions: Sendable {
    /// Worker threads of the forward pass (the BLAS peak is measured at the same count).
    public var threads: Int
    /// Pairs per model call (as `softq score`).
    public var chunkSize: Int
    /// Timed passes over the whole pair set; the median is reported.
    public var repeats: Int
    /// Matrix size of the BLAS peak measurement (n × n times n × n).
    public var peakSize: Int

    public init(threads: Int = 2, chunkSize: Int = 16, repeats: Int = 3, peakSize: Int = 1024) {
        self.threads = threads
        self.chunkSize = chunkSize
        self.repeats = repeats
        self.peakSize = peakSize
    }
}

/// The numbers of one benchmark run.
public struct BenchReport: Sendable {
    public var pairs: Int
    /// Prompt once per pair plus both responses.
    public var tokens: Int
    /// FLOPs the scoring performs: the body for every token (attending to its position + 1)
    /// and the output layer for every row scored (m + 1 rows per response).
    public var flops: Double
    /// Seconds of each timed pass over all pairs.
    public var passSeconds: [Double]
    /// CPU seconds (user + system, all threads) of each pass: less sensitive than wall time to
    /// other processes sharing the cores.
    public var passCPUSeconds: [Double]
    public var loadSeconds: Double
    /// From process start (kernel start time) to the first pair scored, load included.
    public var firstPairSeconds: Double
    /// sgemm GFLOP/s at `threads`: OpenBLAS threaded on one product, and `threads`
    /// single-threaded products run side by side (how the forward pass uses BLAS); the larger
    /// is the peak.
    public var blasThreadedGFLOPS: Double
    public var blasSideBySideGFLOPS: Double
    public var peakResidentBytes: Int
    /// Resident bytes when the benchmark starts (model loaded, weights checked, pairs read):
    /// peak − this is what scoring itself added (activations, caches, BLAS buffers).
    public var residentBeforeScoringBytes: Int
    /// Bytes of the distinct parameters in the element type the model keeps them in
    /// (`weightType`: float16/bfloat16 matrices stay 16-bit, everything else is float32).
    public var weightBytes: Int
    public var weightType: String
    public var mappedWeights: Bool
    /// Whether a pair's responses shared each matrix product (`--stack-sequences`).
    public var stackedSequences: Bool
    public var threads: Int
    public var scored: [ScoredPair]

    public var medianSeconds: Double { median(passSeconds) }
    public var tokensPerSecond: Double { Double(tokens) / medianSeconds }
    public var pairsPerSecond: Double { Double(pairs) / medianSeconds }
    public var gflops: Double { flops / medianSeconds / 1e9 }
    public var blasPeakGFLOPS: Double { max(blasThreadedGFLOPS, blasSideBySideGFLOPS) }
    public var fractionOfPeak: Double { gflops / blasPeakGFLOPS }

    public var json: JSONValue {
        .object([
            ("pairs", .int(pairs)), ("tokens", .int(tokens)), ("threads", .int(threads)),
            ("seconds_median", .double(medianSeconds)), ("seconds", .array(passSeconds.map { .double($0) })),
            ("cpu_seconds_median", .double(median(passCPUSeconds))),
            ("tokens_per_second", .double(tokensPerSecond)), ("pairs_per_second", .double(pairsPerSecond)),
            ("gflop", .double(flops / 1e9)), ("gflops", .double(gflops)),
            ("blas_peak_gflops", .double(blasPeakGFLOPS)), ("blas_threaded_gflops", .double(blasThreadedGFLOPS)),
            ("blas_side_by_side_gflops", .double(blasSideBySideGFLOPS)), ("fraction_of_peak", .double(fractionOfPeak)),
            ("load_seconds", .double(loadSeconds)), ("first_pair_seconds", .double(firstPairSeconds)),
            ("peak_rss_bytes", .int(peakResidentBytes)), ("rss_before_scoring_bytes", .int(residentBeforeScoringBytes)),
            ("weight_bytes", .int(weightBytes)), ("weight_type", .string(weightType)),
            ("mapped_weights", .bool(mappedWeights)), ("stacked_sequences", .bool(stackedSequences)),
            ("blas_kernels", .string(BLAS.coreName)),
        ])
    }

    /// The table `softq bench` prints.
    public var table: String {
        func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
        let mb = 1024.0 * 1024.0
        return """
        pairs            \(pairs) (\(tokens) tokens: prompt once + both responses), \(threads) threads, \(stackedSequences ? "pairs stacked in each product" : "one product per sequence")
        time per pass    \(f(medianSeconds, 3)) s median of \(passSeconds.count) (\(passSeconds.map { f($0, 3) }.joined(separator: ", ")))
        throughput       \(f(tokensPerSecond)) tokens/s, \(f(pairsPerSecond, 2)) pairs/s
        compute          \(f(gflops)) GFLOP/s (\(f(flops / 1e9)) GFLOP per pass) = \(f(100 * fractionOfPeak))% of the sgemm peak
        sgemm peak       \(f(blasPeakGFLOPS)) GFLOP/s (threaded \(f(blasThreadedGFLOPS)), side by side \(f(blasSideBySideGFLOPS))), OpenBLAS \(BLAS.coreName) kernels\(BLAS.kernelAdvice.map { "\n  note           " + $0 } ?? "")
        load             \(f(loadSeconds, 3)) s (weights \(mappedWeights ? "memory-mapped" : "copied"))
        first pair       \(f(firstPairSeconds, 3)) s from process start
        peak memory      \(f(Double(peakResidentBytes) / mb)) MiB resident = \(f(Double(peakResidentBytes) / Double(weightBytes), 2))× the \(weightType) weights (\(f(Double(weightBytes) / mb)) MiB); \(f(Double(residentBeforeScoringBytes) / mb)) MiB before scoring

        """
    }
}

public enum Bench {
    /// Scores the first pair (timing start → first result), measures the BLAS peak, scores all
    /// pairs `repeats` times, and measures the peak again (keeping the larger). The scores are those of `PairScorer` with the same options.
    public static func run(policy: LoadedPolicy, pairs: [PreparedPair], scoring: ScoringOptions,
                           options: BenchOptions) throws -> BenchReport {
        let before = ProcessClock.residentBytes()
        let scorer = try PairScorer(model: policy.model, options: scoring)
        guard let first = pairs.first else { throw ScoringError.model("no pairs to benchmark") }
        _ = try scorer.scorePairs([first])
        let firstPair = ProcessClock.secondsSinceStart()

        var threaded = blasPeak(size: options.peakSize, threads: options.threads, sideBySide: false)
        var sideBySide = blasPeak(size: options.peakSize, threads: options.threads, sideBySide: true)

        var seconds: [Double] = [], cpu: [Double] = []
        var scored: [ScoredPair] = []
        for _ in 0..<max(1, options.repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = ProcessClock.cpuSeconds()
            scored = try scorer.scorePairs(pairs)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            cpu.append(ProcessClock.cpuSeconds() - c0)
        }
        // Measured again after the passes, the larger kept: on a shared machine one
        // measurement may fall in a busy moment, and a low peak would flatter the fraction.
        threaded = max(threaded, blasPeak(size: options.peakSize, threads: options.threads, sideBySide: false))
        sideBySide = max(sideBySide, blasPeak(size: options.peakSize, threads: options.threads, sideBySide: true))
        let model = policy.model
        let tokens = pairs.reduce(0) { $0 + $1.prompt.count + $1.chosen.ids.count + $1.rejected.ids.count }
        // The largest tensor (ties by name) stands for the weights: writers align all datasets
        // alike, so every matrix maps when it does, and its element type is the model's.
        let infos = policy.checkpoint.tensorInfos
        let largest = infos.keys.sorted().max { infos[$0]!.shape.reduce(1, *) < infos[$1]!.shape.reduce(1, *) }
        let matrix = try largest.map { try policy.checkpoint.loadMatrix($0) }
        let weightType = matrix?.dtype ?? .float32
        return BenchReport(pairs: pairs.count, tokens: tokens, flops: flops(model, pairs), passSeconds: seconds,
                           passCPUSeconds: cpu,
                           loadSeconds: policy.loadSeconds, firstPairSeconds: firstPair,
                           blasThreadedGFLOPS: threaded, blasSideBySideGFLOPS: sideBySide,
                           peakResidentBytes: ProcessClock.peakResidentBytes(), residentBeforeScoringBytes: before,
                           weightBytes: (weightType == .float32 ? 4 : 2) * model.parameterCount, weightType: weightType.rawValue,
                           mappedWeights: matrix?.isMapped ?? false, stackedSequences: scoring.stackSequences && BLAS.stacking != nil,
                           threads: options.threads, scored: scored)
    }

    /// FLOPs of scoring `pairs`: Σ over tokens of the body at its position, plus the output
    /// layer (2·V·D) for each of the m + 1 rows of every response.
    public static func flops(_ model: any CausalLanguageModel, _ pairs: [PreparedPair]) -> Double {
        let head = 2 * model.vocabularySize * model.configuration.hiddenSize
        func body(_ position: Int) -> Double { Double(model.flopsPerToken(attendedPositions: position + 1) - head) }
        var total = 0.0
        for p in pairs {
            for i in 0..<p.prompt.count { total += body(i) }
            for r in [p.chosen.ids, p.rejected.ids] {
                for j in 0..<r.count { total += body(p.prompt.count + j) }
                total += Double((r.count + 1) * head)
            }
        }
        return total
    }

    /// Best of five sgemm GFLOP/s on n × n × n float32 products: OpenBLAS with `threads` threads
    /// on one product, or `threads` single-threaded products at once (one per worker).
    public static func blasPeak(size n: Int, threads: Int, sideBySide: Bool) -> Double {
        var g = SeededGenerator(seed: 1)
        let workers = sideBySide ? max(1, threads) : 1
        let a = (0..<(n * n)).map { _ in Float(g.nextDouble() - 0.5) }
        let b = (0..<(n * n)).map { _ in Float(g.nextDouble() - 0.5) }
        var c = [Float](repeating: 0, count: workers * n * n)
        var best = 0.0
        BLAS.withThreads(sideBySide ? 1 : threads) {
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        nonisolated(unsafe) let a = ap.baseAddress!, b = bp.baseAddress!, c = cp.baseAddress!
                        for _ in 0..<5 {
                            let t0 = DispatchTime.now().uptimeNanoseconds
                            Parallel(threads: workers).forEach(workers) { w, _ in
                                BLAS.sgemm(.none, .none, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c + w * n * n, ldc: n)
                            }
                            let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                            best = max(best, Double(workers) * 2 * pow(Double(n), 3) / s / 1e9)
                        }
                    }
                }
            }
        }
        return best
    }
}

/// Process-wide clocks and memory counters read from Linux's /proc (zero when unavailable).
public enum ProcessClock {
    /// Seconds since the kernel started this process (/proc/self/stat field 22 against
    /// /proc/uptime; 10 ms resolution).
    public static func secondsSinceStart() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let up = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let uptime = Double(up.split(separator: " ").first ?? "") else { return 0 }
        return uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// User + system CPU seconds of the whole process so far (getrusage).
    public static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Peak resident set size (VmHWM), bytes.
    public static func peakResidentBytes() -> Int { status("VmHWM:") }
    /// Current resident set size (VmRSS), bytes.
    public static func residentBytes() -> Int { status("VmRSS:") }

    /// A "kB" line of /proc/self/status, in bytes.
    static func status(_ key: String) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix(key) {
            // "VmHWM:\t  123456 kB"; no space at all once the value fills the 8-wide field.
            let kb = line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) } ?? 0
            return kb * 1024
        }
        return 0
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    if s.isEmpty { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
