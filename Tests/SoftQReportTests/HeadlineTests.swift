import Foundation
import XCTest
@testable import SoftQReport
import SoftQBase
import TestSupport

/// The report as people read it: the headline, number formatting, best-run marking.
final class HeadlineTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TestPaths.temporaryDirectory("softq-headline")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: formatting rules

    func testStatisticsHaveThreeSignificantDigits() {
        XCTAssertEqual(Format.stat(0.9833333333333333), "0.983")
        XCTAssertEqual(Format.stat(37.90233308364327), "37.9")
        XCTAssertEqual(Format.stat(1), "1.00")
        XCTAssertEqual(Format.stat(0.012665346767237165), "0.0127")
        XCTAssertEqual(Format.stat(-0.6798343658447266), "-0.680")
        XCTAssertEqual(Format.stat(0.9996), "1.00", "rounding that carries into the next decade keeps 3 digits")
        XCTAssertEqual(Format.stat(99.96), "100")
        XCTAssertEqual(Format.stat(169.99905252456665), "170")
        XCTAssertEqual(Format.stat(37912), "37900")
        XCTAssertEqual(Format.stat(0.001), "0.00100")
        XCTAssertEqual(Format.stat(0.000012345), "1.23e-5")
        XCTAssertEqual(Format.stat(-2.5e6), "-2.50e6")
        XCTAssertEqual(Format.stat(0), "0")
        XCTAssertEqual(Format.stat(.nan), "–")
        XCTAssertEqual(Format.setting(0.99), "0.99")
        XCTAssertEqual(Format.setting(0.001), "0.001")
        XCTAssertEqual(Format.setting(1e-8), "1e-8")
        XCTAssertEqual(Format.setting(0.25), "0.25")
        XCTAssertEqual(Format.withCI(0.9833333333333333, (0.9666666666666667, 0.9966666666666667)), "0.983 [0.967, 0.997]")
        XCTAssertEqual(Format.shortHash(SyntheticRun.checkpointHash), "334640d38452…")
        XCTAssertEqual(Format.shortHash("ab12"), "ab12")
        // Every printed statistic reads back within half a unit of its third significant digit.
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            let x = rng.nextGaussian() * pow(10, Double(rng.nextInt(below: 16)) - 8)
            let shown = Format.stat(x)
            XCTAssertLessThanOrEqual(Self.significantDigits(shown), 3, shown)
            XCTAssertTrue(Self.withinRounding(shown, x), "\(x) → \(shown)")
        }
    }

    // MARK: every headline number is the JSON value it names

    func testHeadlineNumbersEqualTheJSONFieldsTheyName() throws {
        let a = dir.appendingPathComponent("mle"), b = dir.appendingPathComponent("iqlearn")
        try SyntheticRun.write(to: a, objective: "mle")
        try SyntheticRun.write(to: b, seed: 11, objective: "iqlearn")
        for runs in [[a], [a, b]] {
            let html = try Report.render(runs.map(RunData.load)).html
            let doc = try XCTUnwrap(XMLDocument.parse(html))
            let tagged = doc.elements.filter { $0.attributes["data-json"] != nil }
            // accuracy, its CI, ties, mean margin, Brier, ECE, worst subset, robustness, Spearman.
            XCTAssertGreaterThanOrEqual(tagged.count, 8 * runs.count)
            var metrics = Set<String>()
            for e in tagged {
                let run = runs.count == 1 ? runs[0] : try XCTUnwrap(runs.first { $0.lastPathComponent == e.attributes["data-run"] }, "\(e)")
                let json = try Self.resolve(try XCTUnwrap(e.attributes["data-json"]), in: run)
                try Self.check(e.text, shows: json, e.attributes["data-json"]!)
                if let ci = e.attributes["data-json-ci"] { try Self.check(e.text, shows: try Self.resolve(ci, in: run), ci) }
                if let m = e.attributes["data-metric"] { metrics.insert(m) }
            }
            XCTAssertEqual(metrics, ["accuracy", "ties", "mean-margin", "brier", "ece", "worst-subset", "robustness", "spearman"])
        }
    }

    /// The value a `FILE#POINTER` reference names in a run directory.
    static func resolve(_ ref: String, in run: URL) throws -> JSONValue {
        let parts = ref.split(separator: "#", maxSplits: 1).map(String.init)
        var v = try JSONParser.parse(String(contentsOf: run.appendingPathComponent(parts[0]), encoding: .utf8))
        for token in parts[1].split(separator: "/").map({ $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }) {
            if let a = v.arrayValue, let k = Int(token), k < a.count { v = a[k] } else {
                v = try XCTUnwrap(v[token], "\(ref): no \(token)")
            }
        }
        return v
    }

    /// A number or an interval object, shown rounded: the first number of the text for a number,
    /// the first `[low, high]` for an interval.
    static func check(_ text: String, shows json: JSONValue, _ ref: String) throws {
        if let lo = json["low"]?.doubleValue, let hi = json["high"]?.doubleValue {
            let inner = try XCTUnwrap(text.range(of: #"\[[^\]]*\]"#, options: .regularExpression).map { String(text[$0].dropFirst().dropLast()) }, text)
            let parts = inner.components(separatedBy: ", ")
            XCTAssertEqual(parts.count, 2, text)
            XCTAssertTrue(withinRounding(parts[0], lo) && withinRounding(parts[1], hi), "\(ref): \(text) vs [\(lo), \(hi)]")
        } else {
            let value = try XCTUnwrap(json.doubleValue, ref)
            let first = try XCTUnwrap(numbers(in: text).first, text)
            XCTAssertTrue(withinRounding(first, value), "\(ref): \(text) vs \(value)")
        }
    }

    /// `shown` is `x` rounded to the digits it prints: |shown − x| ≤ half a unit of its last digit.
    static func withinRounding(_ shown: String, _ x: Double) -> Bool {
        guard let v = Double(shown) else { return false }
        let mantissa = shown.split(separator: "e").first.map(String.init) ?? shown
        let exponent = shown.contains("e") ? Int(shown.split(separator: "e")[1]) ?? 0 : 0
        let decimals = mantissa.split(separator: ".").dropFirst().first?.count ?? 0
        var unit = pow(10, Double(exponent - decimals))
        // Integers printed at 3 significant digits (37900): the unit is the third digit's.
        if decimals == 0, exponent == 0 { unit = max(1, pow(10, Double(mantissa.filter(\.isNumber).count - 3))) }
        return abs(v - x) <= unit / 2 * (1 + 1e-9) + abs(x) * 1e-15
    }

    static let numberPattern = #"(?<![\w.])-?[0-9]+\.[0-9]+(?:e-?[0-9]+)?(?![0-9]|\.[0-9])"#

    static func numbers(in text: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: numberPattern + "|(?<![\\w.])-?[0-9]+(?![0-9.])") else { return [] }
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    /// Significant digits of a decimal literal's mantissa: leading zeros do not count, nor do an
    /// integer's trailing zeros (37900 has 3).
    static func significantDigits(_ s: String) -> Int {
        let mantissa = s.split(separator: "e").first.map(String.init) ?? s
        var digits = Array(mantissa.filter(\.isNumber).drop { $0 == "0" })
        if !mantissa.contains(".") { while digits.last == "0" { digits.removeLast() } }
        return digits.count
    }

    // MARK: no statistic printed with more digits than the rule allows

    func testNoDecimalInTheReportTextHasMoreThanThreeSignificantDigits() throws {
        let a = dir.appendingPathComponent("mle"), b = dir.appendingPathComponent("iqlearn")
        try SyntheticRun.write(to: a, objective: "mle")
        try SyntheticRun.write(to: b, seed: 11, objective: "iqlearn")
        for runs in [[a], [a, b]] {
            var html = try Report.render(runs.map(RunData.load)).html
            // Token text is the model's output, not a statistic: leave the token views out.
            if let start = html.range(of: "<section id=\"tokens\">"), let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) {
                html.removeSubrange(start.lowerBound..<end.upperBound)
            }
            let doc = try XCTUnwrap(XMLDocument.parse(html))
            let re = try NSRegularExpression(pattern: Self.numberPattern)
            var checked = 0
            for e in doc.elements where e.name != "style" {
                let t = e.text
                for m in re.matches(in: t, range: NSRange(t.startIndex..., in: t)) {
                    let s = String(t[Range(m.range, in: t)!])
                    XCTAssertLessThanOrEqual(Self.significantDigits(s), 3, "<\(e.name)>: \(s) in “\(t.prefix(120))”")
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, 50, "the check saw the report's numbers")
        }
    }

    // MARK: best marked by direction

    func testBestRunIsMarkedPerMetricByItsDirection() throws {
        XCTAssertEqual(HeadlineMetric.best([HeadlineValue(value: 0.9), HeadlineValue(value: 0.95), nil], .higher), [1])
        XCTAssertEqual(HeadlineMetric.best([HeadlineValue(value: 0.9), HeadlineValue(value: 0.95)], .lower), [0])
        XCTAssertEqual(HeadlineMetric.best([HeadlineValue(value: 2), HeadlineValue(value: 2)], .lower), [], "all equal: nothing marked")
        XCTAssertEqual(HeadlineMetric.best([HeadlineValue(value: 2), nil], .lower), [], "one run: nothing to compare")
        XCTAssertEqual(HeadlineMetric.best([HeadlineValue(value: 2), HeadlineValue(value: 3)], nil), [], "no direction")
        let directions = Dictionary(uniqueKeysWithValues: HeadlineMetric.all.map { ($0.id, $0.direction) })
        XCTAssertEqual(directions["accuracy"], .higher)
        XCTAssertEqual(directions["spearman"], .higher)
        XCTAssertEqual(directions["robustness"], .higher)
        XCTAssertEqual(directions["brier"], .lower)
        XCTAssertEqual(directions["ece"], .lower)
        XCTAssertEqual(directions["ties"], .lower)

        // Two runs: the second has the better (lower) Brier and ECE, the first the higher Spearman.
        let a = dir.appendingPathComponent("mle"), b = dir.appendingPathComponent("iqlearn")
        try SyntheticRun.write(to: a, objective: "mle")
        try SyntheticRun.write(to: b, objective: "iqlearn")
        let url = b.appendingPathComponent("summary.json")
        let text = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "\"brier\": 0.231", with: "\"brier\": 0.125")
            .replacingOccurrences(of: "\"ece\": 0.0875", with: "\"ece\": 0.0625")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let doc = try XCTUnwrap(XMLDocument.parse(try Report.render([a, b].map(RunData.load)).html))
        let best = doc.all("td").filter { ($0.attributes["class"] ?? "").split(separator: " ").contains("best") }
        func bestRuns(_ metric: String) -> [String] { best.filter { $0.attributes["data-metric"] == metric }.compactMap { $0.attributes["data-run"] } }
        XCTAssertEqual(bestRuns("brier"), ["iqlearn"])
        XCTAssertEqual(bestRuns("ece"), ["iqlearn"])
        XCTAssertEqual(bestRuns("spearman"), ["mle"])
        XCTAssertEqual(bestRuns("accuracy"), [], "equal accuracies: nothing marked")
        XCTAssertEqual(bestRuns("mean-margin"), [], "no direction")
    }

    // MARK: single run: cards

    func testOneRunGetsACardRowWithTheTrainingMetadata() throws {
        let a = dir.appendingPathComponent("solo")
        try SyntheticRun.write(to: a, objective: "iqlearn")
        let doc = try XCTUnwrap(XMLDocument.parse(try Report.render([RunData.load(a)]).html))
        let cards = doc.all("div", class: "card").map { $0.attributes["data-metric"]! }
        XCTAssertEqual(cards, ["accuracy", "ties", "mean-margin", "brier", "ece", "worst-subset", "robustness", "spearman"])
        // The worst subset is named; the headline precedes every detail section.
        XCTAssertTrue(doc.all("div", class: "card-sub").contains { $0.text == "reasoning" })
        XCTAssertEqual(doc.all("section").first?.attributes["id"], "headline")
        for label in ["objective (training)", "td_weight (training)", "γ (training)", "α (training)"] {
            XCTAssertTrue(doc.all("th").contains { $0.text == label }, label)
        }
        XCTAssertTrue(doc.all("td").contains { $0.text == "iqlearn" })
        XCTAssertTrue(doc.all("td").contains { $0.text == "0.99" }, "γ of training")
    }

    // MARK: escaping

    func testRunNamesAndFieldNamesAreEscapedAndPointersEncoded() throws {
        let hostile = "a<b&c\"d"
        let a = dir.appendingPathComponent(hostile), b = dir.appendingPathComponent("plain")
        try SyntheticRun.write(to: a, analyses: false)
        try SyntheticRun.write(to: b, analyses: false)
        let html = try Report.render([a, b].map(RunData.load)).html
        let doc = try XCTUnwrap(XMLDocument.parse(html))
        XCTAssertTrue(doc.all("th").contains { $0.text == hostile })
        XCTAssertTrue(doc.all("td").contains { $0.attributes["data-run"] == hostile })
        XCTAssertFalse(html.contains("a<b&c"))
        // RFC 6901: "~" and "/" inside a key are escaped, so a subset named "x/y" stays one key.
        XCTAssertEqual(HeadlineMetric.pointer(["subsets", "x/y~z", "accuracy"]), "subsets/x~1y~0z/accuracy")
        let url = a.appendingPathComponent("summary.json")
        let renamed = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"reasoning\"", with: "\"x/y~z\"")
        try renamed.write(to: url, atomically: true, encoding: .utf8)
        let solo = try XCTUnwrap(XMLDocument.parse(try Report.render([RunData.load(a)]).html))
        let worst = try XCTUnwrap(solo.elements.first { $0.attributes["data-metric"] == "worst-subset" && $0.attributes["data-json"] != nil })
        XCTAssertEqual(worst.attributes["data-json"], "summary.json#subsets/x~1y~0z/accuracy")
        try Self.check(worst.text, shows: try Self.resolve(worst.attributes["data-json"]!, in: a), "worst subset")
    }

    // MARK: schema: one interval shape, the legacy one still read

    func testIntervalsAreReadFromTheSharedObjectAndTheVersionOneArray() throws {
        XCTAssertEqual(SyntheticRun.interval(0.25, 0.5).interval?.low, 0.25)
        XCTAssertEqual(JSONValue.array([.double(0.1), .double(0.2)]).interval?.high, 0.2)
        XCTAssertNil(JSONValue.object([("lo", .double(0.1)), ("hi", .double(0.2))]).interval, "a shape nothing writes is not read")
        XCTAssertNil(JSONValue.object([("low", .double(0.1)), ("high", .double(0.2))]).interval, "the level is part of the shape")
    }
}
