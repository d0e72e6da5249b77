import Foundation

/// A reliability diagram of `p = sigmoid(margin)`, read as the probability that the dataset's
/// preference holds (chosen better), against how often it holds in each probability bin.
///
/// The bins follow SoftQEvaluation's `Calibration` (docs/conventions.md): every pair's label is
/// "chosen", so the observed frequency (`accuracy`) is 1 in every non-empty bin and a reward is
/// calibrated when its p are near 1 exactly as often as it is right; `correct` (margin > 0)
/// is shown beside it for reading.
public struct ReliabilityDiagram: Sendable {
    public struct Bin: Sendable, Equatable {
        public var lo, hi: Double
        public var count: Int
        public var meanP: Double
        /// Observed frequency of the labelled preference in the bin.
        public var accuracy: Double
        /// Pairs in the bin with margin > 0, when known.
        public var correct: Int?
        public init(lo: Double, hi: Double, count: Int, meanP: Double, accuracy: Double, correct: Int? = nil) {
            self.lo = lo; self.hi = hi; self.count = count; self.meanP = meanP; self.accuracy = accuracy
            self.correct = correct
        }
    }

    public var bins: [Bin]
    public init(bins: [Bin]) { self.bins = bins }

    /// sigmoid without overflow: 1/(1+e^−m) for m ≥ 0, e^m/(1+e^m) otherwise.
    public static func sigmoid(_ m: Double) -> Double {
        if m >= 0 { return 1 / (1 + exp(-m)) }
        let e = exp(m)
        return e / (1 + e)
    }

    /// The table as SoftQEvaluation defines it, for runs whose summary lacks one: `binCount`
    /// equal-width bins on [0, 1], bin k = [k/B, (k+1)/B), p = 1 in the last bin; outcome 1 for
    /// every pair; empty bins kept with count 0 and NaN means, so tables line up across runs.
    public static func fromMargins(_ margins: [Double], binCount: Int = 10) -> ReliabilityDiagram {
        var n = [Int](repeating: 0, count: binCount), correct = n
        var sp = [Double](repeating: 0, count: binCount)
        for m in margins where m.isFinite {
            let p = sigmoid(m)
            let k = min(binCount - 1, Int((p * Double(binCount)).rounded(.down)))
            n[k] += 1; sp[k] += p
            if m > 0 { correct[k] += 1 }
        }
        return ReliabilityDiagram(bins: (0..<binCount).map { k in
            Bin(lo: Double(k) / Double(binCount), hi: Double(k + 1) / Double(binCount), count: n[k],
                meanP: n[k] > 0 ? sp[k] / Double(n[k]) : .nan, accuracy: n[k] > 0 ? 1 : .nan, correct: correct[k])
        })
    }

    /// Expected calibration error: Σ_k (n_k/N)·|accuracy_k − meanP_k| over non-empty bins.
    public var expectedCalibrationError: Double {
        let total = bins.reduce(0) { $0 + $1.count }
        guard total > 0 else { return .nan }
        return bins.filter { $0.count > 0 }.reduce(0.0) {
            $0 + Double($1.count) / Double(total) * abs($1.accuracy - $1.meanP)
        }
    }

    /// Bars span each bin with height = accuracy; a dot marks (mean p, accuracy); bar opacity
    /// grows with the bin's share of pairs. Bars carry `data-lo`, `data-hi`, `data-count`,
    /// `data-mean-p`, `data-accuracy` (exact).
    public func svg(title: String, layout: ChartLayout = ChartLayout(width: 420, height: 400)) -> SVGCanvas {
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let x = LinearScale(domain: (0, 1), range: (p.x, p.maxX))
        let y = LinearScale(domain: (0, 1), range: (p.maxY, p.y))
        let t = NiceTicks.ticks(lo: 0, hi: 1, step: 0.2)
        c.axes(layout: layout, title: title, x: x, xTicks: t, xDecimals: 1, y: y, yTicks: t, yDecimals: 1,
               xLabel: "mean sigmoid(margin)", yLabel: "observed frequency")
        c.line(x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#999999", dash: "4 3")
        let maxCount = Double(bins.map(\.count).max() ?? 0)
        for b in bins where b.count > 0 && b.accuracy.isFinite {
            let top = y(b.accuracy)
            let opacity = 0.25 + 0.6 * Double(b.count) / max(1, maxCount)
            c.rect(Rect(x: x(b.lo) + 0.5, y: top, width: x(b.hi) - x(b.lo) - 1, height: p.maxY - top),
                   fill: "#4c72b0", extra: [("fill-opacity", Format.fixed(opacity)), ("class", "bin"),
                                            ("data-lo", Format.exact(b.lo)), ("data-hi", Format.exact(b.hi)),
                                            ("data-count", String(b.count)), ("data-mean-p", Format.exact(b.meanP)),
                                            ("data-accuracy", Format.exact(b.accuracy))],
                   tooltip: "p in [\(Format.exact(b.lo)), \(Format.exact(b.hi))): n = \(b.count), mean p = \(Format.fixed(b.meanP, 4)), observed = \(Format.fixed(b.accuracy, 4))" + (b.correct.map { ", margin > 0: \($0)" } ?? ""))
            if b.meanP.isFinite {
                c.circle(cx: x(b.meanP), cy: top, r: 3.5, fill: "#dd8452")
            }
        }
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
        c.text("−" + Format.fixed(limit, 3), x: 30, y: 46, anchor: .middle, size: 10)
        c.text("0", x: 180, y: 46, anchor: .middle, size: 10)
        c.text("+" + Format.fixed(limit, 3), x: 330, y: 46, anchor: .middle, size: 10)
        return c
    }
}
