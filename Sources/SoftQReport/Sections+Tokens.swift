import Foundation
import SoftQBase

/// The tokens section: responses as text, each token coloured by its reward, with log π, Q,
/// V and r in the token's tooltip (a `title`, so hovering needs no script).
extension Sections {
    /// Pairs to show: requested ids, the `worst` lowest and `best` highest margins, then a
    /// seeded sample of the rest; each pair once, with the reason it was picked.
    static func selectPairs(_ pairs: [PairRecord], _ o: ReportOptions) -> [(PairRecord, String)] {
        var picked: [(PairRecord, String)] = []
        var taken = Set<Int>()
        func take(_ p: PairRecord, _ why: String) {
            if taken.insert(p.index).inserted { picked.append((p, why)) }
        }
        for id in o.pairIDs { for p in pairs where p.id == id { take(p, "requested") } }
        // Stable orders: ties in margin keep file order.
        let finite = pairs.filter { $0.margin.isFinite }
        let ascending = finite.enumerated().sorted { ($0.element.margin, $0.offset) < ($1.element.margin, $1.offset) }.map(\.element)
        let descending = finite.enumerated().sorted { ($0.element.margin, -$0.offset) > ($1.element.margin, -$1.offset) }.map(\.element)
        for p in ascending.prefix(o.worst) { take(p, "worst margin") }
        for p in descending.prefix(o.best) { take(p, "best margin") }
        var rest = pairs.filter { !taken.contains($0.index) }
        var rng = SeededGenerator(seed: o.seed)
        var sampled: [PairRecord] = []
        for _ in 0..<min(o.sample, rest.count) {
            sampled.append(rest.remove(at: rng.nextInt(below: rest.count)))
        }
        for p in sampled.sorted(by: { $0.index < $1.index }) { take(p, "random sample (seed \(o.seed))") }
        return picked
    }

    /// Token views cannot be merged: one block per run, all on one colour scale (the 98th
    /// percentile of |r| over every token shown), so the same colour means the same reward.
    static func tokens(_ w: inout HTMLWriter, _ c: Context) {
        let shown = c.runs.flatMap { shownRecords($0, c.options) }
        let scale = DivergingColorScale(limit: DivergingColorScale.robustLimit(shown.flatMap(\.reward)))
        if !shown.isEmpty { legend(&w, scale, runs: c.runs.count) }
        for run in c.runs {
            if c.multi { w.heading(3, run.name) }
            tokens(&w, run, c.options, scale)
        }
    }

    /// The token records a run's view shows: both sides of the selected pairs, or the first
    /// (or requested) responses of a run without pairs.
    static func shownRecords(_ run: RunData, _ options: ReportOptions) -> [TokenRecord] {
        guard !run.tokens.isEmpty else { return [] }
        if !run.pairs.isEmpty {
            let lookup = TokenLookup(run.tokens)
            return selectPairs(run.pairs, options).flatMap { p, _ in [lookup.find(p, "chosen"), lookup.find(p, "rejected")].compactMap { $0 } }
        }
        let requested = run.tokens.filter { options.pairIDs.contains($0.id) }
        return requested.isEmpty ? Array(run.tokens.prefix(options.responses)) : requested
    }

    static func tokens(_ w: inout HTMLWriter, _ run: RunData, _ options: ReportOptions, _ scale: DivergingColorScale) {
        if run.pairs.isEmpty, let first = run.responses.first?.objectValue {
            // A rewards/extract run: its per-response aggregates, first `responses` rows.
            let keys = first.filter { $0.1.doubleValue != nil || $0.0 == "id" || $0.1.stringValue != nil }.map(\.0)
            let rows = run.responses.prefix(options.responses).map { r in keys.map { r[$0]?.cellText ?? "–" } }
            w.table(header: keys, rows: Array(rows),
                    caption: "Responses (responses.jsonl; \(rows.count) of \(run.responses.count))")
        }
        guard !run.tokens.isEmpty else {
            return absent(&w, "No per-token values in this run (score with --per-token jsonl to write tokens.jsonl).")
        }
        if !run.pairs.isEmpty {
            let selected = selectPairs(run.pairs, options)
            let lookup = TokenLookup(run.tokens)
            for (p, why) in selected {
                w.open("div", [("class", "pair-block"), ("data-pair", p.id)])
                w.element("h4", "pair \(p.id)" + (p.subset.map { " · \($0)" } ?? "")
                          + " · margin \(Format.stat(p.margin)) · \(p.tie ? "tie" : (p.correct ? "correct" : "wrong")) · \(why)")
                w.open("div", [("class", "pair")])
                for side in ["chosen", "rejected"] {
                    response(&w, lookup.find(p, side), side: side, score: side == "chosen" ? p.chosen : p.rejected, scale: scale)
                }
                w.close("div")
                w.close("div")
            }
        } else {
            // A rewards/extract run: responses without pairs.
            let records = shownRecords(run, options)
            w.paragraph("Showing \(records.count) of \(run.tokens.count) responses.")
            for r in records {
                w.open("div", [("class", "pair-block"), ("data-response", r.id)])
                response(&w, r, side: "response \(r.id)", score: nil, scale: scale)
                w.close("div")
            }
        }
    }

    static func legend(_ w: inout HTMLWriter, _ scale: DivergingColorScale, runs: Int) {
        w.paragraph("Each token's background is its reward r = Q(s,a) − γ·V′(s′) on a diverging scale (red negative, blue positive, clamped at ±\(Format.stat(scale.limit)), the 98th percentile of |r| over the tokens shown" + (runs > 1 ? ", the same scale for every run" : "") + "). Hover a token for log π, Q, V and r.")
        w.raw("<div class=\"legend\">" + scale.legendSVG().element() + "</div>\n")
    }

    static func response(_ w: inout HTMLWriter, _ r: TokenRecord?, side: String, score: ResponseScore?,
                         scale: DivergingColorScale) {
        w.open("div", [("class", "resp-col"), ("data-side", side)])
        var head = side
        if let r {
            head += " · \(r.tokenIDs.count) tokens · Σr = \(Format.stat(r.reward.reduce(0, +)))"
            if let pv = r.promptValue { head += " · prompt value \(Format.stat(pv))" }
            if let t = r.terminal { head += t ? " · terminal" : " · not terminal (bootstrapped)" }
        } else if let score {
            head += " · \(score.tokens) tokens"
        }
        w.element("div", head, [("class", "resp-head")])
        guard let r else {
            w.element("div", "(no per-token values for this response)", [("class", "resp absent")])
            w.close("div")
            return
        }
        w.open("div", [("class", "resp")])
        for k in r.tokenIDs.indices {
            let piece = r.pieces?[k] ?? "⟨\(r.tokenIDs[k])⟩"
            let shown = piece.isEmpty ? "∅" : piece.replacingOccurrences(of: "\n", with: "↵\n")
            let tip = "token \(r.tokenIDs[k]) \(Self.quoted(piece))\nlog π = \(Format.stat(r.logprob[k]))\nQ = \(Format.stat(r.q[k]))\nV(s) = \(Format.stat(r.valueBefore[k]))\nV′(s′) = \(Format.stat(r.valueAfter[k]))\nr = \(Format.stat(r.reward[k]))"
            let style = "background:\(scale.color(r.reward[k]));color:\(scale.textColor(r.reward[k]))"
            w.raw("<span class=\"tok\" style=\"\(style)\" data-r=\"\(Format.exact(r.reward[k]))\" title=\"\(Format.escape(tip))\">\(Format.escape(shown))</span>")
        }
        w.close("div")
        w.close("div")
    }

    /// A token's text in quotes with invisible characters spelled out, for the tooltip.
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
    }
}

/// Finds a pair's per-token record by pair id and side, falling back to the pair's 0-based
/// position in pairs.jsonl (`pair` in the token file) and side.
struct TokenLookup {
    var byIndex: [String: TokenRecord] = [:]
    var byID: [String: TokenRecord] = [:]

    init(_ records: [TokenRecord]) {
        for r in records {
            let side = r.side ?? ""
            if let p = r.pair, byIndex["\(p)/\(side)"] == nil { byIndex["\(p)/\(side)"] = r }
            if !r.id.isEmpty, byID["\(r.id)/\(side)"] == nil { byID["\(r.id)/\(side)"] = r }
        }
    }

    func find(_ p: PairRecord, _ side: String) -> TokenRecord? {
        byID["\(p.id)/\(side)"] ?? byIndex["\(p.index)/\(side)"]
    }
}
