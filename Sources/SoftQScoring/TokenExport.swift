import Foundation
import HDF5Kit
import SoftQBase
import SoftQRewards

/// One scored response as it appears in the per-token files.
public struct TokenRow: Sendable {
    /// Index of the pair (score) or input line (extract), 0-based; nil is never written.
    public var pair: Int
    public var id: String
    /// "chosen"/"rejected" for pairs; nil for `softq extract`.
    public var side: String?
    public var ids: [Int]
    /// Display text of each token (what it decodes to), when a tokenizer is known.
    public var pieces: [String]?
    public var scores: ResponseScores
}

/// Writes `tokens.jsonl` and `tokens.h5` (docs/spec/outputs.md), atomically.
public enum TokenExport {
    public static func jsonl(_ rows: [TokenRow], to url: URL) throws {
        var w = JSONLinesWriter()
        for r in rows {
            var f: [(String, JSONValue)] = [("pair", .int(r.pair)), ("id", .string(r.id))]
            if let s = r.side { f.append(("side", .string(s))) }
            f.append(("token_ids", .array(r.ids.map { .int($0) })))
            if let p = r.pieces { f.append(("pieces", .array(p.map { .string($0) }))) }
            f += [
                ("logprob", .array(r.scores.logprob.map { .double($0) })),
                ("q", .array(r.scores.q.map { .double($0) })),
                ("value_before", .array(r.scores.valueBefore.map { .double($0) })),
                ("value_after", .array(r.scores.valueAfter.map { .double($0) })),
                ("reward", .array(r.scores.reward.map { .double($0) })),
                ("prompt_value", .double(r.scores.promptValue)),
                ("terminal", .bool(r.scores.terminal)),
            ]
            w.append(.object(f))
        }
        try w.write(to: url)
    }

    /// The HDF5 layout: per-token arrays concatenated over responses under `/tokens/<name>`,
    /// response `k`'s tokens at `offsets[k] ..< offsets[k+1]`; per-response facts under `/responses`.
    public static func hdf5(_ rows: [TokenRow], to url: URL, attributes: [(String, String)]) throws {
        try AtomicFile.write(to: url) { tmp in
            let f = try H5File(path: tmp.path, mode: .truncate)
            for (k, v) in attributes { try f.attributes.write(k, .string(v)) }
            var offsets: [Int64] = [0]
            var ids: [Int64] = [], lp: [Double] = [], q: [Double] = [], vb: [Double] = [], va: [Double] = [], rw: [Double] = []
            var pieces: [String] = []
            let hasPieces = rows.allSatisfy { $0.pieces != nil } && !rows.isEmpty
            for r in rows {
                ids += r.ids.map(Int64.init)
                lp += r.scores.logprob
                q += r.scores.q
                vb += r.scores.valueBefore
                va += r.scores.valueAfter
                rw += r.scores.reward
                if hasPieces { pieces += r.pieces! }
                offsets.append(Int64(ids.count))
            }
            let n = ids.count
            let t = try f.root.createGroup("tokens")
            try t.createDataset("token_ids", shape: [n], values: ids)
            try t.createDataset("logprob", shape: [n], values: lp)
            try t.createDataset("q", shape: [n], values: q)
            try t.createDataset("value_before", shape: [n], values: vb)
            try t.createDataset("value_after", shape: [n], values: va)
            try t.createDataset("reward", shape: [n], values: rw)
            if hasPieces { try t.createStringDataset("pieces", values: pieces) }
            let r = try f.root.createGroup("responses")
            try r.createDataset("offsets", shape: [rows.count + 1], values: offsets)
            try r.createDataset("pair", shape: [rows.count], values: rows.map { Int64($0.pair) })
            if rows.contains(where: { $0.side != nil }) {
                try r.createStringDataset("side", values: rows.map { $0.side ?? "" })
            }
            try r.createStringDataset("id", values: rows.map { $0.id })
            try r.createDataset("prompt_value", shape: [rows.count], values: rows.map { $0.scores.promptValue })
            try r.createDataset("terminal", shape: [rows.count], values: rows.map { UInt8($0.scores.terminal ? 1 : 0) })
            try f.flush()
        }
    }
}
