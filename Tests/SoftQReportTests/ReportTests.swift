import Foundation
import XCTest
@testable import SoftQReport
import SoftQBase
import TestSupport

final class ReportTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TestPaths.temporaryDirectory("softq-report")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func makeRun(_ name: String = "run", analyses: Bool = true, objective: String = "iqlearn") throws -> URL {
        let run = dir.appendingPathComponent(name)
        try SyntheticRun.write(to: run, analyses: analyses, objective: objective)
        return run
    }

    func json(_ url: URL) throws -> JSONValue { try JSONParser.parse(String(contentsOf: url, encoding: .utf8)) }

    func plot(_ name: String, in run: URL) throws -> XMLDocument {
        let text = try String(contentsOf: run.appendingPathComponent("plots/\(name).svg"), encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
        return try XCTUnwrap(XMLDocument.parse(text))
    }

    func testReportIsWellFormedHasEverySectionAndEscapesText() throws {
        let run = try makeRun()
        var o = ReportOptions()
        o.pairIDs = ["p0", "p1"]
        let rendered = try Report.write(runs: [run], to: run.appendingPathComponent("report.html"), options: o)
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertEqual(html, rendered.html)
        let doc = try XCTUnwrap(XMLDocument.parse(html))

        // Every navigation link points at a section that exists; every single-run section is there.
        let ids = Set(doc.elements.compactMap { $0.attributes["id"] })
        let links = doc.all("a").compactMap { $0.attributes["href"] }.filter { $0.hasPrefix("#") }
        XCTAssertEqual(links, ["#headline", "#run", "#agreement", "#margins", "#length", "#robustness", "#correlation", "#steps", "#tokens"])
        for l in links { XCTAssertTrue(ids.contains(String(l.dropFirst())), "missing section \(l)") }
        XCTAssertEqual(doc.all("section").map { $0.attributes["id"]! }, ["headline", "run", "agreement", "margins", "length", "robustness", "correlation", "steps", "tokens"])

        // Nothing executable or fetched: no script element, no external reference; links go to
        // sections, plots, or the run's own files by a relative path (the report is in the run).
        XCTAssertTrue(doc.all("script").isEmpty)
        XCTAssertTrue(doc.elements.allSatisfy { $0.attributes["src"] == nil })
        let files = ["summary.json", "pairs.jsonl", "tokens.jsonl"] + RunData.analysisFiles
        for e in doc.elements {
            if let v = e.attributes["href"] {
                XCTAssertTrue(v.hasPrefix("#") || v.hasPrefix("plots/") || files.contains(v), "\(e.name) href=\(v)")
            }
        }
        XCTAssertEqual(doc.all("a").compactMap { $0.attributes["href"] }.filter { files.contains($0) }.sorted(), files.sorted())
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
        XCTAssertFalse(html.contains("https://"))
        XCTAssertTrue(html.contains("default-src 'none'"))

        // The hostile token is text: a span whose text is the literal markup.
        let tokens = doc.all("span", class: "tok")
        XCTAssertTrue(tokens.contains { $0.text == SyntheticRun.hostilePiece })
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(tokens.contains { $0.text == "a & b \"q\"" })
        XCTAssertTrue(doc.all("th").contains { $0.text == "safety & <refusals>" })
        // Summary numbers appear exactly: the CI object, RewardBench sections, the incomplete note.
        let summary = try JSONParser.parse(String(contentsOf: run.appendingPathComponent("summary.json"), encoding: .utf8))
        let ci = try XCTUnwrap(summary["accuracy_ci95"])
        let shown = Format.withCI(summary["accuracy"]!.doubleValue!, (ci["low"]!.doubleValue!, ci["high"]!.doubleValue!))
        XCTAssertTrue(doc.all("td").contains { $0.text == shown }, shown)
        let rbRows = doc.all("td").map(\.text)
        XCTAssertTrue(rbRows.contains { $0.contains("alpacaeval-easy") })
        XCTAssertTrue(doc.all("p", class: "note").contains { $0.text.contains("missing: math-prm") })
        // Hover text carries log π, Q, V and r.
        let tip = try XCTUnwrap(tokens.first?.attributes["title"])
        for part in ["log π = ", "Q = ", "V(s) = ", "V′(s′) = ", "r = "] { XCTAssertTrue(tip.contains(part), tip) }

        // Every inlined figure is also a standalone file with the same SVG element.
        XCTAssertEqual(doc.all("figure").count, rendered.plots.count)
        for p in rendered.plots {
            let text = try String(contentsOf: run.appendingPathComponent("plots/\(p.name)"), encoding: .utf8)
            XCTAssertEqual(text, p.svg)
            XCTAssertTrue(html.contains(String(text.dropFirst("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".count))), p.name)
            XCTAssertNotNil(XMLDocument.parse(text), p.name)
        }
        XCTAssertEqual(rendered.plots.map(\.name), [
            "subset-accuracy.svg", "margins-histogram.svg", "calibration.svg", "length-scatter.svg", "length-buckets.svg",
            "robustness-win-rate.svg", "robustness-vs-strength.svg", "sensitivity.svg", "correlation-scatter.svg", "best-of-n.svg",
            "steps-auroc-by-position.svg",
        ])
    }

    func testPlotNumbersMatchTheJSONFiles() throws {
        let run = try makeRun()
        try Report.write(runs: [run], to: run.appendingPathComponent("report.html"))
        let summary = try json(run.appendingPathComponent("summary.json"))

        let subsetBars = try plot("subset-accuracy", in: run).all("rect", class: "bar")
        let subsets = try XCTUnwrap(summary["subsets"]?.objectValue)
        XCTAssertEqual(subsetBars.map { Double($0.attributes["data-value"]!)! }, subsets.map { $0.1["accuracy"]!.doubleValue! })
        XCTAssertEqual(subsetBars.map { $0.attributes["data-category"]! }, subsets.map(\.0))

        // Empty bins are listed in the table but not drawn.
        let bins = try plot("calibration", in: run).all("circle", class: "bin")
        let table = try XCTUnwrap(summary["calibration"]?["bins"]?.arrayValue).filter { $0["count"]!.intValue! > 0 }
        XCTAssertEqual(bins.count, 4)
        XCTAssertEqual(bins.map { Int($0.attributes["data-count"]!)! }, table.map { $0["count"]!.intValue! })
        XCTAssertEqual(bins.map { Double($0.attributes["data-lo"]!)! }, table.map { $0["lower"]!.doubleValue! })
        XCTAssertEqual(bins.map { Double($0.attributes["data-mean-p"]!)! }, table.map { $0["mean_p"]!.doubleValue! })
        XCTAssertEqual(bins.map { Double($0.attributes["data-accuracy"]!)! }, table.map { $0["accuracy"]!.doubleValue! })

        // The histogram counts every margin of pairs.jsonl exactly once, in the bin it belongs to.
        let pairs = try RunData.load(run).pairs
        let hist = try plot("margins-histogram", in: run).all("rect", class: "bin")
        XCTAssertEqual(hist.map { Int($0.attributes["data-count"]!)! }.reduce(0, +), pairs.count)
        for b in hist {
            let lo = Double(b.attributes["data-lo"]!)!, hi = Double(b.attributes["data-hi"]!)!
            let last = b.attributes["data-hi"] == hist.last!.attributes["data-hi"]
            let n = pairs.filter { $0.margin >= lo && ($0.margin < hi || (last && $0.margin == hi)) }.count
            XCTAssertEqual(Int(b.attributes["data-count"]!)!, n, "bin [\(lo), \(hi))")
        }

        let robustness = try json(run.appendingPathComponent("robustness.json"))
        let rb = try plot("robustness-win-rate", in: run).all("rect", class: "bar")
        XCTAssertEqual(rb.map { Double($0.attributes["data-value"]!)! }, robustness["by_type"]!.arrayValue!.map { $0["win_rate"]!.doubleValue! })
        XCTAssertEqual(rb.map { Double($0.attributes["data-hi"]!)! }, robustness["by_type"]!.arrayValue!.map { $0["win_rate_ci95"]!["high"]!.doubleValue! })
        let lines = try plot("robustness-vs-strength", in: run).all("circle", class: "point")
        XCTAssertEqual(lines.map { Double($0.attributes["data-y"]!)! }, robustness["perturbations"]!.arrayValue!.map { $0["win_rate"]!.doubleValue! })

        let correlation = try json(run.appendingPathComponent("correlation.json"))
        let pts = try plot("correlation-scatter", in: run).all("circle", class: "point")
        XCTAssertEqual(pts.map { Double($0.attributes["data-x"]!)! }, correlation["points"]!.arrayValue!.map { $0["reward"]!.doubleValue! })
        let bon = try plot("best-of-n", in: run).all("rect", class: "bar")
        XCTAssertEqual(bon.count, correlation["best_of_n"]!.arrayValue!.count)

        // Scatter of reward vs length: one point per response, at (tokens, sum).
        let ls = try plot("length-scatter", in: run).all("circle", class: "point")
        XCTAssertEqual(ls.count, 2 * pairs.count)
        XCTAssertEqual(Double(ls[0].attributes["data-x"]!)!, Double(pairs[0].chosen.tokens))
        XCTAssertEqual(Double(ls[0].attributes["data-y"]!)!, pairs[0].chosen["sum"]!)
    }

    func testReportIsByteIdenticalAcrossRuns() throws {
        let run = try makeRun()
        let a = try Report.render([RunData.load(run)])
        let b = try Report.render([RunData.load(run)])
        XCTAssertEqual(a.html, b.html)
        XCTAssertEqual(a.plots.map(\.svg), b.plots.map(\.svg))
        var o = ReportOptions()
        o.seed = 99
        XCTAssertNotEqual(try Report.render([RunData.load(run)], options: o).html, a.html, "the seed must matter")
    }

    func testTokenSelectionWorstBestSampleAndRequested() throws {
        let pairs = try RunData.load(try makeRun()).pairs
        var o = ReportOptions()
        o.worst = 2; o.best = 2; o.sample = 3; o.pairIDs = ["p5"]
        let picked = Sections.selectPairs(pairs, o)
        XCTAssertEqual(picked.count, 8)
        XCTAssertEqual(Set(picked.map(\.0.index)).count, 8)
        XCTAssertEqual(picked[0].0.id, "p5")
        let sorted = pairs.sorted { $0.margin < $1.margin }
        XCTAssertEqual(Set(picked[1...2].map(\.0.id)), Set(sorted.prefix(3).map(\.id).filter { $0 != "p5" }.prefix(2)))
        XCTAssertEqual(picked[3].0.margin, sorted.last!.margin)
        XCTAssertEqual(picked.map(\.0.id), Sections.selectPairs(pairs, o).map(\.0.id), "seeded")
        let html = try Report.render([RunData.load(dir.appendingPathComponent("run"))], options: o).html
        let doc = try XCTUnwrap(XMLDocument.parse(html))
        let blocks = doc.all("div", class: "pair-block").map { $0.attributes["data-pair"]! }
        XCTAssertEqual(blocks, picked.map(\.0.id))
        // Each block shows both sides, token for token.
        XCTAssertEqual(doc.all("div", class: "resp-col").count, 2 * picked.count)
        let p5 = try XCTUnwrap(pairs.first { $0.id == "p5" })
        let spans = doc.all("span", class: "tok")
        XCTAssertGreaterThanOrEqual(spans.count, p5.chosen.tokens + p5.rejected.tokens)
    }

    func testComparisonOfTwoRunsPutsTablesSideBySide() throws {
        let a = try makeRun("mle", objective: "mle"), b = try makeRun("iqlearn", analyses: false)
        let out = dir.appendingPathComponent("cmp/report.html")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let r = try Report.write(runs: [a, b], to: out)
        let doc = try XCTUnwrap(XMLDocument.parse(r.html))
        // The headline table comes first, one column per run.
        XCTAssertEqual(doc.all("section").first?.attributes["id"], "headline")
        XCTAssertEqual(doc.all("table", class: "headline").count, 1)
        XCTAssertTrue(doc.all("th").map(\.text).contains("mle"))
        XCTAssertTrue(doc.all("th").map(\.text).contains("iqlearn"))
        // Histograms per run (small multiples), every other chart once with a series per run.
        XCTAssertTrue(r.plots.contains { $0.name == "run1-margins-histogram.svg" })
        XCTAssertTrue(r.plots.contains { $0.name == "run2-margins-histogram.svg" })
        for name in ["subset-accuracy", "calibration", "length-buckets"] {
            let svg = try XCTUnwrap(r.plots.first { $0.name == "\(name).svg" }?.svg, name)
            let marks = try XCTUnwrap(XMLDocument.parse(svg)).elements.compactMap { $0.attributes["data-series"] }
            XCTAssertEqual(Set(marks), ["mle", "iqlearn"], name)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cmp/plots/subset-accuracy.svg").path))
        // Shared axes: both histograms have the same bins and the same height for the same count.
        let h1 = try XCTUnwrap(XMLDocument.parse(r.plots.first { $0.name == "run1-margins-histogram.svg" }!.svg)).all("rect", class: "bin")
        let h2 = try XCTUnwrap(XMLDocument.parse(r.plots.first { $0.name == "run2-margins-histogram.svg" }!.svg)).all("rect", class: "bin")
        XCTAssertEqual(h1.map { $0.attributes["data-lo"]! }, h2.map { $0.attributes["data-lo"]! })
        // Training metadata for every run: the objective row names both objectives.
        XCTAssertTrue(doc.all("th").contains { $0.text == "objective (training)" })
        XCTAssertTrue(doc.all("td").contains { $0.text == "mle" })
        XCTAssertTrue(doc.all("td").contains { $0.text == "iqlearn" })
        // Provenance collapsed, one block per run, hashes short with the full value on hover.
        XCTAssertEqual(doc.all("details", class: "provenance").map { $0.attributes["data-run"]! }, ["mle", "iqlearn"])
        let hashes = doc.all("td", class: "hash")
        XCTAssertTrue(hashes.contains { $0.text == String(SyntheticRun.checkpointHash.prefix(12)) + "…" && $0.attributes["title"] == SyntheticRun.checkpointHash })
        // The run without analyses says so instead of drawing nothing.
        XCTAssertTrue(doc.all("p", class: "absent").contains { $0.text.contains("No robustness.json") && $0.text.contains("iqlearn") })
        // Links to each run's files are relative to the report.
        XCTAssertTrue(doc.all("a").contains { $0.attributes["href"] == "../mle/summary.json" })
    }

    func testRewardsRunWithoutPairsShowsResponses() throws {
        let run = dir.appendingPathComponent("rewards")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var w = JSONLinesWriter()
        for k in 0..<3 {
            w.append(.object([("id", .string("r\(k)")), ("token_ids", .array([.int(5), .int(6)])), ("pieces", .array([.string("x"), .string("<b>")])),
                              ("logprob", .array([.double(-1), .double(-2)])), ("q", .array([.double(1), .double(2)])),
                              ("value_before", .array([.double(3), .double(3)])), ("value_after", .array([.double(3), .double(0)])),
                              ("reward", .array([.double(-2), .double(2)])), ("prompt_value", .double(3)), ("terminal", .bool(true))]))
        }
        try w.write(to: run.appendingPathComponent("tokens.jsonl"))
        var responses = JSONLinesWriter()
        for k in 0..<3 { responses.append(.object([("id", .string("r\(k)")), ("tokens", .int(2)), ("sum", .double(0.5 * Double(k)))])) }
        try responses.write(to: run.appendingPathComponent("responses.jsonl"))
        let html = try Report.render([RunData.load(run)]).html
        let doc = try XCTUnwrap(XMLDocument.parse(html))
        XCTAssertEqual(doc.all("div", class: "pair-block").map { $0.attributes["data-response"]! }, ["r0", "r1", "r2"])
        let spans = doc.all("span", class: "tok")
        XCTAssertEqual(spans.map(\.text), ["x", "<b>", "x", "<b>", "x", "<b>"])
        XCTAssertEqual(spans[0].attributes["style"], "background:#b2182b;color:#ffffff")
        XCTAssertEqual(spans[1].attributes["data-r"], "2")
        XCTAssertTrue(doc.all("p", class: "absent").contains { $0.text.contains("no preference pairs") })
        let headers = doc.all("th").map(\.text)
        let at = try XCTUnwrap(headers.firstIndex(of: "id"))
        XCTAssertEqual(Array(headers[at..<(at + 3)]), ["id", "tokens", "sum"])
        XCTAssertTrue(doc.all("th").contains { $0.text == "r2" })
    }

    func testMalformedInputsAreErrorsNamingFileLineAndField() throws {
        let run = try makeRun(analyses: false)
        let pairsURL = run.appendingPathComponent("pairs.jsonl")
        var lines = try String(contentsOf: pairsURL, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = "{\"id\": \"p2\", \"margin\": \"big\"}"
        try (lines.joined(separator: "\n") + "\n").write(to: pairsURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunData.load(run)) {
            XCTAssertEqual($0 as? ReportError, .wrongType(file: "pairs.jsonl", line: 3, key: "margin", expected: "number", actual: "string"))
        }
        lines[2] = "{\"id\": \"p2\", "
        try (lines.joined(separator: "\n") + "\n").write(to: pairsURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunData.load(run)) {
            guard case .invalidJSON(let f, let l, _, _)? = $0 as? ReportError else { return XCTFail("\($0)") }
            XCTAssertEqual(f, "pairs.jsonl"); XCTAssertEqual(l, 3)
        }
        try FileManager.default.removeItem(at: pairsURL)
        let tokURL = run.appendingPathComponent("tokens.jsonl")
        var t = try String(contentsOf: tokURL, encoding: .utf8).split(separator: "\n").map(String.init)
        t[0] = t[0].replacingOccurrences(of: "\"reward\":[", with: "\"reward\":[9,")
        try (t.joined(separator: "\n") + "\n").write(to: tokURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunData.load(run)) {
            guard case .lengthMismatch(let f, let l, let k, _, _)? = $0 as? ReportError else { return XCTFail("\($0)") }
            XCTAssertEqual([f, k], ["tokens.jsonl", "reward"]); XCTAssertEqual(l, 1)
        }
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try RunData.load(empty)) { XCTAssertEqual($0 as? ReportError, .nothingToReport(path: empty.path)) }
        XCTAssertThrowsError(try RunData.load(dir.appendingPathComponent("missing"))) {
            guard case .notADirectory? = $0 as? ReportError else { return XCTFail("\($0)") }
        }
    }

    func testEqualDirectoryNamesAreToldApart() throws {
        let a = dir.appendingPathComponent("mle/out"), b = dir.appendingPathComponent("iqlearn/out")
        try SyntheticRun.write(to: a, analyses: false)
        try SyntheticRun.write(to: b, analyses: false)
        let names = Report.uniquelyNamed([try RunData.load(a), try RunData.load(b), try RunData.load(b)]).map(\.name)
        XCTAssertEqual(names, ["mle/out", "iqlearn/out (2)", "iqlearn/out (3)"])
    }

    func testNoRunsIsAnError() {
        XCTAssertThrowsError(try Report.render([])) { XCTAssertEqual($0 as? ReportError, .noRuns) }
    }

    func testUnknownRequestedPairIsAnError() throws {
        var o = ReportOptions()
        o.pairIDs = ["nope"]
        let run = try makeRun(analyses: false)
        XCTAssertThrowsError(try Report.render([RunData.load(run)], options: o)) {
            XCTAssertEqual($0 as? ReportError, .unknownPair(id: "nope", path: run.path))
        }
    }

    func testSummaryLessRunComputesFromPairsAndSaysSo() throws {
        let run = try makeRun(analyses: false)
        try FileManager.default.removeItem(at: run.appendingPathComponent("summary.json"))
        let data = try RunData.load(run)
        let html = try Report.render([data]).html
        XCTAssertTrue(html.contains("Agreement with human preferences (computed from pairs.jsonl for this run; no summary.json)"))
        let acc = Double(data.pairs.filter(\.correct).count) / Double(data.pairs.count)
        XCTAssertEqual(data.agreement?.accuracy, acc)
        XCTAssertEqual(data.agreement?.ties, 1)
        XCTAssertTrue(html.contains("chosen longer"))
    }
}
