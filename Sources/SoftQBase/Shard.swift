import Foundation

/// `--shard K/N`: the K-th (from 0) of N contiguous slices of a run's valid input records
/// (docs/spec/run-directories.md, "Shards and merging").
///
/// Records are cut as `numpy.array_split` cuts them: with M records, the first `M mod N`
/// slices hold `M / N + 1` records and the others `M / N`, so the slices are in input order,
/// cover every record once, and some are empty when N > M.
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var text: String
        public var description: String { "--shard expects K/N with 0 ≤ K < N (K counted from 0), got '\(text)'" }
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else { throw ParseError(text: "\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { throw ParseError(text: text) }
        do { try self.init(index: k, count: n) } catch { throw ParseError(text: text) }
    }

    /// The record positions this shard holds out of `total` (numpy.array_split's boundaries).
    public func range(total: Int) -> Range<Int> {
        Self.start(index, count: count, total: total)..<Self.start(index + 1, count: count, total: total)
    }

    /// Where slice `k` of `count` begins: k·⌊M/N⌋ + min(k, M mod N).
    static func start(_ k: Int, count: Int, total: Int) -> Int {
        k * (total / count) + min(k, total % count)
    }

    /// Whether this shard counts an invalid input line. `recordLines` are the 1-based input
    /// lines of all valid records (after `--limit`), in input order. Shard K owns the lines after
    /// the last record of the shards before it (from line 1 when they hold none) up to and
    /// including its own last record's line; the last shard also owns every line after that. An
    /// empty shard other than the last owns no line.
    public func owns(line: Int, recordLines: [Int]) -> Bool {
        let r = range(total: recordLines.count)
        let after = r.lowerBound == 0 ? 0 : recordLines[r.lowerBound - 1]
        if index == count - 1 { return line > after }
        guard !r.isEmpty else { return false }
        return line > after && line <= recordLines[r.upperBound - 1]
    }

    public var json: JSONValue { .object([("index", .int(index)), ("count", .int(count))]) }

    /// Reads `{"index", "count"}` (a manifest's `shard`).
    public init?(json: JSONValue?) {
        guard let k = json?["index"]?.intValue, let n = json?["count"]?.intValue, n >= 1, k >= 0, k < n else { return nil }
        index = k
        count = n
    }
}
