import Foundation
import SoftQEvaluation

/// A reliability diagram of `p = sigmoid(margin)`: per probability bin, how often the
/// predicted preference holds against the bin's mean p. A calibrated reward lies on the diagonal.
///
/// The table is SoftQEvaluation's `Calibration` (docs/spec/statistics.md): each pair counts in both
/// orders, (p, y = 1) and (1 − p, y = 0), so `count` is in predictions (2 per pair) and
/// `accuracy` is the observed frequency of y = 1 in the bin.
public struct ReliabilityDiagram: Sendable {
    public struct Bin: Sendable, Equatable {
        public var lo, hi: Double
        public var count: Int
        public var meanP: Double
        /// Observed frequency of the predicted preference in the bin.
        public var accuracy: Double
        public init(lo: Double, hi: Double, count: Int, meanP: Double, accuracy: Double) {
            self.lo = lo; self.hi = hi; self.count = count; self.meanP = meanP; self.accuracy = accuracy
        }
    }

    public var bins: [Bin]
    public init(bins: [Bin]) { self.bins = bins }

    /// The diagram of a calibration table computed by SoftQEvaluation.
    public init(_ c: Calibration) {
        bins = c.bins.map { Bin(lo: $0.lower, hi: $0.upper, count: $0.count, meanP: $0.meanP, accuracy: $0.accuracy) }
    }

    /// Expected calibration error: Σ_k (n_k/N)·|accuracy_k − meanP_k| over non-empty bins.
    public var expectedCalibrationError: Double {
        let total = bins.reduce(0) { $0 + $1.count }
        guard total > 0 else { return .nan }
        return bins.filter { $0.count > 0 }.reduce(0.0) {
            $0 + Double($1.count) / Double(total) * abs($1.accuracy - $1.meanP)
        }
    }
}

/// One reliability diagram for several runs: per run a line through its bins' (mean p,
/// observed frequency) points, each point's area proportional to the bin's share of that
/// run's predictions; the diagonal is perfect calibration. Points carry `class="bin"`,
/// `data-series`, `data-lo`, `data-hi`, `data-count`, `data-mean-p`, `data-accuracy` (exact).
public struct ReliabilityChart: Sendable {
    public var series: [(name: String, diagram: ReliabilityDiagram)]
    public init(series: [(name: String, diagram: ReliabilityDiagram)]) { self.series = series }

    public func svg(title: String, layout: ChartLayout = ChartLayout(width: 440, height: 420)) -> SVGCanvas {
        let names = series.map(\.name)
        let layout = layout.addingLegend(names)
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let x = LinearScale(domain: (0, 1), range: (p.x, p.maxX))
        let y = LinearScale(domain: (0, 1), range: (p.maxY, p.y))
        let t = NiceTicks.ticks(lo: 0, hi: 1, step: 0.2)
        c.axes(layout: layout, title: title, x: x, xTicks: t, xDecimals: 1, y: y, yTicks: t, yDecimals: 1,
               xLabel: "mean sigmoid(margin) in the bin", yLabel: "observed frequency")
        c.line(x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#999999", dash: "4 3")
        for (s, ser) in series.enumerated() {
            let color = Palette.runs[s % Palette.runs.count]
            let bins = ser.diagram.bins.filter { $0.count > 0 && $0.accuracy.isFinite && $0.meanP.isFinite }
            let total = Double(max(1, ser.diagram.bins.reduce(0) { $0 + $1.count }))
            c.polyline(bins.map { (x($0.meanP), y($0.accuracy)) }, stroke: color)
            for b in bins {
                // Area ∝ share of predictions: r from 2.5 (a few) to 9 (all in one bin).
                let r = 2.5 + 6.5 * (Double(b.count) / total).squareRoot()
                c.circle(cx: x(b.meanP), cy: y(b.accuracy), r: r, fill: color, opacity: 0.75,
                         extra: [("class", "bin"), ("data-series", ser.name), ("data-lo", Format.exact(b.lo)),
                                 ("data-hi", Format.exact(b.hi)), ("data-count", String(b.count)),
                                 ("data-mean-p", Format.exact(b.meanP)), ("data-accuracy", Format.exact(b.accuracy))],
                         tooltip: "\(ser.name.isEmpty ? "" : ser.name + " · ")p in [\(Format.setting(b.lo)), \(Format.setting(b.hi))): n = \(b.count), mean p = \(Format.stat(b.meanP)), observed = \(Format.stat(b.accuracy))")
            }
        }
        c.legend(names, x: p.x, y: 28, width: p.width)
        return c
    }
}

/// Reward → colour on a diverging scale symmetric around 0: red for negative, near-white at 0,
/// blue for positive (ColorBrewer RdBu end points), linear in RGB, clamped at ±limit.
public struct DivergingColorScale: Sendable, Equatable {
    public let limit: Double
    static let negative = (178.0, 24.0, 43.0), middle = (247.0, 247.0, 247.0), positive = (33.0, 102.0, 172.0)

    /// `limit` ≤ 0 or non-finite falls back to 1 so every colour is defined.
    public init(limit: Double) {
        self.limit = (limit.isFinite && limit > 0) ? limit : 1
    }

    /// A limit that keeps one outlier from washing out the rest: the 98th percentile of |v|
    /// (nearest rank) over finite values.
    public static func robustLimit(_ values: [Double]) -> Double {
        let a = values.filter { $0.isFinite }.map { abs($0) }.sorted()
        guard !a.isEmpty else { return 1 }
        return a[min(a.count - 1, Int((0.98 * Double(a.count)).rounded(.up)) - 1)]
    }

    /// `#rrggbb`; NaN is grey.
    public func color(_ v: Double) -> String {
        guard !v.isNaN else { return "#cccccc" }
        let t = min(1, max(-1, v / limit))
        let end = t < 0 ? Self.negative : Self.positive
        let a = abs(t)
        func mix(_ m: Double, _ e: Double) -> Int { Int((m + (e - m) * a).rounded()) }
        return hex(mix(Self.middle.0, end.0), mix(Self.middle.1, end.1), mix(Self.middle.2, end.2))
    }

    /// Dark text on light cells, light text on saturated ones.
    public func textColor(_ v: Double) -> String {
        v.isFinite && abs(v) / limit > 0.6 ? "#ffffff" : "#111111"
    }

    private func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] { s.append(digits[v / 16]); s.append(digits[v % 16]) }
        return s
    }

    /// A legend: 21 swatches from −limit to +limit with labels at both ends and at 0.
    public func legendSVG(title: String = "reward per token") -> SVGCanvas {
        var c = SVGCanvas(width: 360, height: 52, title: title)
        let steps = 21, w = 300.0 / Double(steps)
        for k in 0..<steps {
            let v = -limit + 2 * limit * Double(k) / Double(steps - 1)
            c.rect(Rect(x: 30 + Double(k) * w, y: 18, width: w + 0.2, height: 14), fill: color(v),
                   extra: [("class", "swatch"), ("data-value", Format.exact(v))])
        }
        c.text(title, x: 30, y: 12, size: 10)
        c.text("−" + Format.stat(limit), x: 30, y: 46, anchor: .middle, size: 10)
        c.text("0", x: 180, y: 46, anchor: .middle, size: 10)
        c.text("+" + Format.stat(limit), x: 330, y: 46, anchor: .middle, size: 10)
        return c
    }
}
