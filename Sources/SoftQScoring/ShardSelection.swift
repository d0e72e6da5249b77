import Foundation
import SoftQBase

/// The records and skipped lines one run processes: all of them, or a shard's slice
/// (docs/spec/run-directories.md, "Shards and merging").
public struct ShardSelection<Item> {
    public var items: [Item]
    /// Position of `items[0]` among all valid records: scored records keep their index in the
    /// whole input, so a shard's files hold the same indices as the single-process run's.
    public var start: Int
    /// The skipped lines this run counts, in input-line order.
    public var skipped: [InputError]

    /// `prepared` are all valid records after `--limit`, in input order; `line` gives a
    /// record's 1-based input line. Skipped lines are sorted by line (stable) in every run so
    /// that concatenating the shards' lists gives the single-process run's list.
    public init(_ prepared: [Item], shard: Shard?, line: (Item) -> Int, skipped: [InputError]) {
        let sortedSkips = skipped.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
        guard let shard else {
            items = prepared
            start = 0
            self.skipped = sortedSkips
            return
        }
        let lines = prepared.map(line)
        let r = shard.range(total: prepared.count)
        items = Array(prepared[r])
        start = r.lowerBound
        self.skipped = sortedSkips.filter { shard.owns(line: $0.line, recordLines: lines) }
    }
}
