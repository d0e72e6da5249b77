import Foundation
import SoftQBase
import SoftQRewards

/// Scoring that saves every record's exact result as it goes (RunProgress) and, when resumed,
/// scores only the records not yet saved. Records are scored in blocks of the scorer's chunk
/// size; scores do not depend on how pairs are grouped into calls (batch invariance, tested
/// in ScoringInvarianceTests), so the complete result equals an uninterrupted run's bit for bit.
public enum ResumableScoring {
    /// Scores `pairs` in input order. `report(done, newTokens)`: records done (saved ones
    /// included) and tokens scored by this process, after each block.
    public static func scorePairs(_ pairs: [PreparedPair], scorer: PairScorer, progress: RunProgress?,
                                  report: ((Int, Int) -> Void)? = nil) throws -> [ScoredPair] {
        let path = progress?.directory.path ?? ""
        return try run(pairs, block: scorer.options.chunkSize, samePrompt: { pairs[$0].prompt == pairs[$1].prompt },
                       progress: progress, report: report,
                       decode: { try decodePair($0, expected: $1, pairs: pairs, path: path) },
                       score: { block, start in
                           try scorer.scorePairs(block).map { p in
                               var p = p
                               p.index += start
                               return p
                           }
                       },
                       encode: { p in
                           var w = BinaryRecordWriter()
                           w.append(p.index)
                           w.append(p.margin)
                           p.chosen.scores.encode(into: &w)
                           p.rejected.scores.encode(into: &w)
                           return w.data
                       },
                       tokens: { $0.promptLength + $0.chosen.ids.count + $0.rejected.ids.count })
    }

    /// Scores single responses (`softq extract`) in input order, like `scorePairs`.
    public static func scoreSingles(_ items: [PreparedSingle], scorer: PairScorer, progress: RunProgress?,
                                    report: ((Int, Int) -> Void)? = nil) throws -> [ScoredSingle] {
        let path = progress?.directory.path ?? ""
        return try run(items, block: scorer.options.chunkSize * 2, samePrompt: { items[$0].prompt == items[$1].prompt },
                       progress: progress, report: report,
                       decode: { try decodeSingle($0, expected: $1, items: items, path: path) },
                       score: { block, start in
                           try scorer.scoreSingles(block).map { s in
                               var s = s
                               s.index += start
                               return s
                           }
                       },
                       encode: { s in
                           var w = BinaryRecordWriter()
                           w.append(s.index)
                           s.response.scores.encode(into: &w)
                           return w.data
                       },
                       tokens: { $0.promptLength + $0.response.ids.count })
    }

    /// The loop both share: saved records first, then blocks of the rest, each scored, saved and
    /// reported. A block is one model call of the scorer (PromptGrouping.chunkEnd: records that
    /// share a prompt stay together, so the prompt runs once).
    static func run<Item, Scored>(_ items: [Item], block: Int, samePrompt: (Int, Int) -> Bool, progress: RunProgress?,
                                  report: ((Int, Int) -> Void)?,
                                  decode: (Data, Int) throws -> Scored, score: ([Item], Int) throws -> [Scored],
                                  encode: (Scored) -> Data, tokens: (Scored) -> Int) throws -> [Scored] {
        var out: [Scored] = []
        out.reserveCapacity(items.count)
        for (k, data) in (progress?.saved ?? []).enumerated() { out.append(try decode(data, k)) }
        var scoredTokens = 0
        var start = out.count
        while start < items.count {
            let end = PromptGrouping.chunkEnd(from: start, total: items.count, size: block, samePrompt: samePrompt)
            let scored = try score(Array(items[start..<end]), start)
            try progress?.append(scored.map(encode))
            scoredTokens += scored.reduce(0) { $0 + tokens($1) }
            out += scored
            start = end
            report?(out.count, scoredTokens)
        }
        return out
    }

    static func decodePair(_ data: Data, expected k: Int, pairs: [PreparedPair], path: String) throws -> ScoredPair {
        do {
            var r = BinaryRecordReader(data)
            let index = try r.int()
            let margin = try r.double()
            let c = try ResponseScores(decoding: &r), rj = try ResponseScores(decoding: &r)
            guard index == k, k < pairs.count, r.atEnd else { throw mismatch(path, k, "record \(index) where \(k) was expected") }
            let p = pairs[k]
            // The saved scores must belong to these tokens (the fingerprint makes this hold; this catches a corrupt log).
            guard c.tokens == p.chosen.ids.count, rj.tokens == p.rejected.ids.count else {
                throw mismatch(path, k, "saved token counts differ from the input's")
            }
            return ScoredPair(index: k, record: p.record, promptLength: p.prompt.count,
                              chosen: ScoredResponse(ids: p.chosen.ids, scores: c),
                              rejected: ScoredResponse(ids: p.rejected.ids, scores: rj), margin: margin)
        } catch is BinaryRecordReader.Truncated {
            throw mismatch(path, k, "record \(k) is malformed")
        }
    }

    static func decodeSingle(_ data: Data, expected k: Int, items: [PreparedSingle], path: String) throws -> ScoredSingle {
        do {
            var r = BinaryRecordReader(data)
            let index = try r.int()
            let s = try ResponseScores(decoding: &r)
            guard index == k, k < items.count, r.atEnd else { throw mismatch(path, k, "record \(index) where \(k) was expected") }
            let it = items[k]
            guard s.tokens == it.response.ids.count else { throw mismatch(path, k, "saved token count differs from the input's") }
            return ScoredSingle(index: k, record: it.record, promptLength: it.prompt.count,
                                response: ScoredResponse(ids: it.response.ids, scores: s))
        } catch is BinaryRecordReader.Truncated {
            throw mismatch(path, k, "record \(k) is malformed")
        }
    }

    static func mismatch(_ path: String, _ k: Int, _ reason: String) -> RunDirectoryError {
        .corruptProgress(path: path, reason: reason)
    }
}

/// What a resumable run's results depend on, recorded when it starts and compared on resume:
/// the content hashes of every checkpoint and input file (not their paths: a moved file with
/// the same bytes is the same input) and the options.
public enum ResumeFingerprint {
    public static func make(policies: [(String, LoadedPolicy)], inputs: [(String, String)],
                            options: [(String, JSONValue)]) throws -> JSONValue {
        var f: [(String, JSONValue)] = []
        for (role, p) in policies {
            guard case .object(let prov) = try p.provenance() else { continue }
            f.append((role, .object(prov.filter { $0.0 != "path" })))
        }
        for (role, path) in inputs {
            f.append((role + "_sha256", .string(try InputHash.sha256(path: path))))
        }
        f.append(("options", .object(options)))
        return .object(f)
    }
}
