import Foundation
import XCTest
@testable import SoftQReport
import SoftQEvaluation
import TestSupport

final class FormatTests: XCTestCase {
    func testFixedRoundsHalfAwayAndDropsTrailingZerosAndNegativeZero() {
        XCTAssertEqual(Format.fixed(1.5, 2), "1.5")
        XCTAssertEqual(Format.fixed(2, 2), "2")
        XCTAssertEqual(Format.fixed(0.125, 2), "0.13")
        XCTAssertEqual(Format.fixed(-0.125, 2), "-0.13")
        XCTAssertEqual(Format.fixed(-0.0001, 2), "0")
        XCTAssertEqual(Format.fixed(-0.0, 3), "0")
        XCTAssertEqual(Format.fixed(1234.5678, 1), "1234.6")
        XCTAssertEqual(Format.fixed(0.05, 1), "0.1")
        XCTAssertEqual(Format.fixed(3, 0), "3")
        XCTAssertEqual(Format.fixed(.nan), "nan")
    }

    func testExactRoundTripsDoubles() {
        for x in [0.1, 1.0 / 3, -2.5e-7, 1e300, 42, -7, 0.6666666666666666] {
            XCTAssertEqual(Double(Format.exact(x)), x, "\(x)")
        }
        XCTAssertEqual(Format.exact(42), "42")
        XCTAssertEqual(Format.exact(-0.0), "0")
    }

    func testEscapeCoversMarkupQuotesAndForbiddenControls() {
        XCTAssertEqual(Format.escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;")
        XCTAssertEqual(Format.escape("a\u{01}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}")
        XCTAssertEqual(Format.escape("x\ny\tz"), "x&#10;y&#9;z")
        XCTAssertEqual(Format.escape("π ≠ 3 😀"), "π ≠ 3 😀")
    }
}

final class AxisTests: XCTestCase {
    func testNiceStepsAreOneTwoFiveTimesPowersOfTen() {
        XCTAssertEqual(NiceTicks.step(lo: 0, hi: 1, count: 5), 0.2)
        XCTAssertEqual(NiceTicks.step(lo: 0, hi: 100, count: 5), 20)
        XCTAssertEqual(NiceTicks.step(lo: -3.2, hi: 4.1, count: 6), 1)
        XCTAssertEqual(NiceTicks.step(lo: 0, hi: 0.03, count: 6), 0.005)
        XCTAssertEqual(NiceTicks.decimals(step: 0.005), 3)
        XCTAssertEqual(NiceTicks.decimals(step: 0.2), 1)
        XCTAssertEqual(NiceTicks.decimals(step: 20), 0)
    }

    func testDomainWidensToWholeStepsAndTicksDoNotDrift() {
        let (lo, hi, step) = NiceTicks.domain(lo: 0.13, hi: 0.87, count: 5)
        XCTAssertEqual(step, 0.1)
        XCTAssertEqual(lo, 0.1)
        XCTAssertEqual(hi, 0.9)
        let ticks = NiceTicks.ticks(lo: lo, hi: hi, step: step)
        XCTAssertEqual(ticks.map { Format.fixed($0, 1) }, ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"])
        XCTAssertEqual(ticks[2], 0.3)  // not 0.30000000000000004
        let degenerate = NiceTicks.domain(lo: 5, hi: 5)
        XCTAssertLessThan(degenerate.0, 5)
        XCTAssertGreaterThan(degenerate.1, 5)
    }

    func testLinearScaleMapsEndsAndMiddle() {
        let s = LinearScale(domain: (0, 1), range: (300, 50))
        XCTAssertEqual(s(0), 300)
        XCTAssertEqual(s(1), 50)
        XCTAssertEqual(s(0.5), 175)
    }
}

final class ChartTests: XCTestCase {
    func testHistogramBinsHalfOpenWithLastBinClosed() {
        let h = Histogram(values: [0, 0.5, 1, 1, 1.5, 2, .nan, .infinity], bins: 4)
        XCTAssertEqual(h.edges, [0, 0.5, 1, 1.5, 2])
        XCTAssertEqual(h.counts, [1, 1, 2, 2])  // 2.0 lands in the last bin
        XCTAssertEqual(h.dropped, 2)
        XCTAssertEqual(h.counts.reduce(0, +) + h.dropped, 8)
    }

    func testHistogramSVGBarsCarryCountsAndHeightsMatchScale() throws {
        let values = (0..<50).map { Double($0 % 7) - 2.5 }
        let h = Histogram(values: values, bins: 10)
        let svg = h.svg(title: "t", xLabel: "x").document()
        let doc = try XCTUnwrap(XMLDocument.parse(svg))
        let bins = doc.all("rect", class: "bin")
        XCTAssertEqual(bins.map { Int($0.attributes["data-count"]!)! }, h.counts)
        XCTAssertEqual(bins.map { Double($0.attributes["data-lo"]!)! }, Array(h.edges.dropLast()))
        // Heights are proportional to counts: height/count is the same for every non-empty bin.
        let ratios = zip(bins, h.counts).filter { $1 > 0 }.map { Double($0.0.attributes["height"]!)! / Double($0.1) }
        assertClose(ratios, [Double](repeating: ratios[0], count: ratios.count), atol: 0.01, "px per count")
    }

    func testBarChartValuesGeometryAndWhiskers() throws {
        let chart = BarChart(categories: ["a", "b<&>"], series: [.init(name: "s", bars: [.init(0.25, ci: (0.1, 0.4)), .init(0.75)])],
                             domain: (0, 1), reference: 0.5)
        let layout = ChartLayout()
        let doc = try XCTUnwrap(XMLDocument.parse(chart.svg(title: "acc", xLabel: "x", yLabel: "y", layout: layout).document()))
        let bars = doc.all("rect", class: "bar")
        XCTAssertEqual(bars.map { $0.attributes["data-value"] }, ["0.25", "0.75"])
        XCTAssertEqual(bars.map { $0.attributes["data-category"] }, ["a", "b<&>"])
        XCTAssertEqual(bars[0].attributes["data-lo"], "0.1")
        XCTAssertNil(bars[1].attributes["data-lo"])
        let plotHeight = layout.plot.height
        assertClose(bars.map { Double($0.attributes["height"]!)! }, [0.25 * plotHeight, 0.75 * plotHeight], atol: 0.006, "bar heights")
        XCTAssertEqual(doc.all("line", class: "whisker").count, 1)
    }

    func testBarChartIsAsWideAsItsBarsAndLegendsSitAboveThePlot() throws {
        func chart(_ categories: Int, series: Int) -> BarChart {
            BarChart(categories: (0..<categories).map { "c\($0)" },
                     series: (0..<series).map { s in .init(name: "run \(s)", bars: (0..<categories).map { _ in .init(0.5) }) })
        }
        XCTAssertEqual(chart(1, series: 1).naturalWidth(), 320, "one bar is not a page-wide bar")
        XCTAssertLessThan(chart(3, series: 2).naturalWidth(), chart(6, series: 2).naturalWidth())
        XCTAssertEqual(chart(60, series: 3).naturalWidth(), 960, "capped")
        // Two series: a legend entry each, above the plot (no bar drawn under it).
        let doc = try XCTUnwrap(XMLDocument.parse(chart(3, series: 2).svg(title: "t", xLabel: "x", yLabel: "y").document()))
        let texts = doc.all("text").map(\.text)
        XCTAssertTrue(texts.contains("run 0") && texts.contains("run 1"))
        let legendY = doc.all("text").filter { $0.text.hasPrefix("run ") }.map { Double($0.attributes["y"]!)! }
        let barTop = doc.all("rect", class: "bar").map { Double($0.attributes["y"]!)! }.min()!
        XCTAssertLessThan(legendY.max()!, barTop)
        XCTAssertEqual(Set(doc.all("rect", class: "bar").map { $0.attributes["fill"]! }), Set(Palette.runs.prefix(2)))
    }

    func testHistogramsOnSharedEdgesCountEveryValueOnce() {
        let a = [0.5, 1.5, 2.5, 9.5], b = [-3.0, 4.0, 12.0]
        let edges = Histogram.edges(for: a + b, bins: 5)
        let ha = Histogram(values: a, edges: edges), hb = Histogram(values: b + [.nan], edges: edges)
        XCTAssertEqual(ha.edges, hb.edges)
        XCTAssertEqual(ha.counts.reduce(0, +), a.count)
        XCTAssertEqual(hb.counts.reduce(0, +), b.count)
        XCTAssertEqual(hb.dropped, 1)
        XCTAssertLessThanOrEqual(edges.first!, -3)
        XCTAssertGreaterThanOrEqual(edges.last!, 12)
    }

    func testReliabilityDiagramCarriesSoftQEvaluationsTable() throws {
        // p = sigmoid(m): ln 4 → 0.8, −ln 4 → 0.2, 0 → 0.5; each pair also counts as (1 − p, y = 0).
        let c = try Calibration(margins: [0, log(4), log(4), -log(4), 50])
        let d = ReliabilityDiagram(c)
        XCTAssertEqual(d.bins.map(\.count), c.bins.map(\.count))
        XCTAssertEqual(d.bins.map(\.count).reduce(0, +), 10)
        XCTAssertEqual(d.bins.map(\.lo), (0..<10).map { Double($0) / 10 })
        assertClose([d.expectedCalibrationError], [c.ece], atol: 1e-15, "ECE")
        // Two runs in one chart: one point per non-empty bin and run, each tagged with its run.
        let other = ReliabilityDiagram(try Calibration(margins: [1, 2, -1]))
        let doc = try XCTUnwrap(XMLDocument.parse(ReliabilityChart(series: [("a", d), ("b", other)]).svg(title: "r").document()))
        let points = doc.all("circle", class: "bin")
        let a = points.filter { $0.attributes["data-series"] == "a" }, b = points.filter { $0.attributes["data-series"] == "b" }
        XCTAssertEqual(a.count, c.bins.filter { $0.count > 0 }.count)
        XCTAssertEqual(a.map { Double($0.attributes["data-accuracy"]!)! }, c.bins.filter { $0.count > 0 }.map(\.accuracy))
        XCTAssertEqual(b.map { Int($0.attributes["data-count"]!)! }, other.bins.filter { $0.count > 0 }.map(\.count))
        XCTAssertEqual(points.count, a.count + b.count)
    }

    func testDivergingScaleIsSymmetricClampedAndWhiteAtZero() {
        let s = DivergingColorScale(limit: 2)
        XCTAssertEqual(s.color(0), "#f7f7f7")
        XCTAssertEqual(s.color(2), "#2166ac")
        XCTAssertEqual(s.color(50), "#2166ac")
        XCTAssertEqual(s.color(-2), "#b2182b")
        XCTAssertEqual(s.color(.nan), "#cccccc")
        XCTAssertEqual(s.color(1), "#8cafd2")  // halfway: (247+33)/2 = 140, (247+102)/2 = 174.5 → 175, (247+172)/2 = 209.5 → 210
        XCTAssertNotEqual(s.color(1), s.color(-1))
        XCTAssertEqual(DivergingColorScale(limit: 0).limit, 1)
        XCTAssertEqual(DivergingColorScale.robustLimit((1...100).map(Double.init) + [-1e9]), 99)
    }

    func testEveryChartIsWellFormedAndByteIdenticalAcrossRenders() throws {
        func charts() throws -> [String] {
            let pts = (0..<200).map { k in Scatter.Point(x: Double(k % 17), y: sin(Double(k)), group: k % 2, label: "p<\(k)>") }
            return [
                Histogram(values: pts.map(\.y)).svg(title: "h & h", xLabel: "x", marker: 0).document(),
                Scatter(points: pts, groups: ["a", "b"]).thinned(to: 50, seed: 3).svg(title: "s", xLabel: "x", yLabel: "y", diagonal: true).document(),
                BarChart(categories: ["one", "two", "three"], series: [.init(name: "A", bars: [.init(0.5, ci: (0.4, 0.6)), nil, .init(0.9)]),
                                                                       .init(name: "B", bars: [.init(-0.2), .init(0.1), .init(0.3)])])
                    .svg(title: "b", xLabel: "x", yLabel: "y").document(),
                LineChart(series: [.init(name: "t", points: [(0.1, 0.6, 0.5, 0.7), (0.5, 0.8, nil, nil)])], yDomain: (0, 1), reference: 0.5)
                    .svg(title: "l", xLabel: "x", yLabel: "y").document(),
                ReliabilityChart(series: [("", ReliabilityDiagram(try Calibration(margins: pts.map(\.y))))]).svg(title: "r").document(),
                DivergingColorScale(limit: 1.5).legendSVG().document(),
            ]
        }
        let a = try charts(), b = try charts()
        XCTAssertEqual(a, b)
        for svg in a {
            let doc = try XCTUnwrap(XMLDocument.parse(svg))
            XCTAssertEqual(doc.elements.first?.name, "svg")
            XCTAssertNotNil(doc.elements.first?.attributes["viewBox"])
        }
        let thinned = try XCTUnwrap(XMLDocument.parse(a[1])).all("circle", class: "point")
        XCTAssertEqual(thinned.count, 50)
    }
}
