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
        try hdf5(TokenTable(rows), to: url, attributes: attributes)
    }

    /// Writes a table of token rows; `softq merge` writes the concatenation of its shards' tables here.
    public static func hdf5(_ t: TokenTable, to url: URL, attributes: [(String, String)]) throws {
        try AtomicFile.write(to: url) { tmp in
            let f = try H5File(path: tmp.path, mode: .truncate)
            for (k, v) in attributes { try f.attributes.write(k, .string(v)) }
            let n = t.tokenIDs.count, rows = t.pair.count
            let g = try f.root.createGroup("tokens")
            try g.createDataset("token_ids", shape: [n], values: t.tokenIDs)
            try g.createDataset("logprob", shape: [n], values: t.logprob)
            try g.createDataset("q", shape: [n], values: t.q)
            try g.createDataset("value_before", shape: [n], values: t.valueBefore)
            try g.createDataset("value_after", shape: [n], values: t.valueAfter)
            try g.createDataset("reward", shape: [n], values: t.reward)
            if let pieces = t.pieces { try g.createStringDataset("pieces", values: pieces) }
            let r = try f.root.createGroup("responses")
            try r.createDataset("offsets", shape: [rows + 1], values: t.offsets)
            try r.createDataset("pair", shape: [rows], values: t.pair)
            if let side = t.side { try r.createStringDataset("side", values: side) }
            try r.createStringDataset("id", values: t.id)
            try r.createDataset("prompt_value", shape: [rows], values: t.promptValue)
            try r.createDataset("terminal", shape: [rows], values: t.terminal)
            try f.flush()
        }
    }
}

/// The columns of `tokens.h5`, as written: per-token arrays concatenated over responses and
/// per-response facts.
public struct TokenTable: Sendable, Equatable {
    public var offsets: [Int64] = [0]
    public var tokenIDs: [Int64] = [], logprob: [Double] = [], q: [Double] = [], valueBefore: [Double] = []
    public var valueAfter: [Double] = [], reward: [Double] = []
    /// Present when every response has pieces.
    public var pieces: [String]?
    public var pair: [Int64] = [], id: [String] = []
    /// Present when any response has a side (score), absent for extract.
    public var side: [String]?
    public var promptValue: [Double] = [], terminal: [UInt8] = []

    public init() {}

    public init(_ rows: [TokenRow]) {
        let hasPieces = rows.allSatisfy { $0.pieces != nil } && !rows.isEmpty
        var pieces: [String] = []
        for r in rows {
            tokenIDs += r.ids.map(Int64.init)
            logprob += r.scores.logprob
            q += r.scores.q
            valueBefore += r.scores.valueBefore
            valueAfter += r.scores.valueAfter
            reward += r.scores.reward
            if hasPieces { pieces += r.pieces! }
            offsets.append(Int64(tokenIDs.count))
        }
        self.pieces = hasPieces ? pieces : nil
        pair = rows.map { Int64($0.pair) }
        side = rows.contains(where: { $0.side != nil }) ? rows.map { $0.side ?? "" } : nil
        id = rows.map(\.id)
        promptValue = rows.map(\.scores.promptValue)
        terminal = rows.map { UInt8($0.scores.terminal ? 1 : 0) }
    }

    /// Reads a table written by `TokenExport.hdf5`.
    public init(reading url: URL) throws {
        let f = try H5File(path: url.path)
        offsets = try f.dataset("/responses/offsets").read(as: Int64.self)
        tokenIDs = try f.dataset("/tokens/token_ids").read(as: Int64.self)
        logprob = try f.dataset("/tokens/logprob").read(as: Double.self)
        q = try f.dataset("/tokens/q").read(as: Double.self)
        valueBefore = try f.dataset("/tokens/value_before").read(as: Double.self)
        valueAfter = try f.dataset("/tokens/value_after").read(as: Double.self)
        reward = try f.dataset("/tokens/reward").read(as: Double.self)
        pieces = f.contains("/tokens/pieces") ? try f.dataset("/tokens/pieces").readStrings() : nil
        pair = try f.dataset("/responses/pair").read(as: Int64.self)
        side = f.contains("/responses/side") ? try f.dataset("/responses/side").readStrings() : nil
        id = try f.dataset("/responses/id").readStrings()
        promptValue = try f.dataset("/responses/prompt_value").read(as: Double.self)
        terminal = try f.dataset("/responses/terminal").read(as: UInt8.self)
    }

    /// Appends `other`'s responses after this table's (offsets shifted).
    public mutating func append(_ other: TokenTable) {
        let base = offsets.last ?? 0
        offsets += other.offsets.dropFirst().map { $0 + base }
        let hadRows = !pair.isEmpty
        tokenIDs += other.tokenIDs
        logprob += other.logprob
        q += other.q
        valueBefore += other.valueBefore
        valueAfter += other.valueAfter
        reward += other.reward
        // Pieces are written only when every response has them; an empty table has none.
        if other.pair.isEmpty {
        } else if !hadRows { pieces = other.pieces } else if let p = pieces, let o = other.pieces { pieces = p + o } else { pieces = nil }
        if other.side != nil || side != nil { side = (side ?? Array(repeating: "", count: pair.count)) + (other.side ?? Array(repeating: "", count: other.pair.count)) }
        pair += other.pair
        id += other.id
        promptValue += other.promptValue
        terminal += other.terminal
    }
}
