import Foundation

/// Grouped bars with optional confidence-interval whiskers: one group per category, one bar
/// per series (e.g. per run when comparing MLE and IQLearn policies).
public struct BarChart: Sendable {
    public struct Bar: Sendable, Equatable {
        public var value: Double
        public var ci: (lo: Double, hi: Double)?
        public init(_ value: Double, ci: (Double, Double)? = nil) {
            self.value = value
            self.ci = ci.map { (lo: $0.0, hi: $0.1) }
        }
        public static func == (a: Bar, b: Bar) -> Bool {
            a.value == b.value && a.ci?.lo == b.ci?.lo && a.ci?.hi == b.ci?.hi
        }
    }

    public struct Series: Sendable {
        public var name: String
        /// One entry per category; nil leaves a gap.
        public var bars: [Bar?]
        public init(name: String, bars: [Bar?]) { self.name = name; self.bars = bars }
    }

    public var categories: [String]
    public var series: [Series]
    /// The value axis; nil fits the data (always including 0).
    public var domain: (Double, Double)?
    /// A dashed horizontal reference line (0.5 for accuracies and win rates: chance).
    public var reference: Double?

    public init(categories: [String], series: [Series], domain: (Double, Double)? = nil, reference: Double? = nil) {
        self.categories = categories
        self.series = series
        self.domain = domain
        self.reference = reference
    }

    /// The width a chart needs: a fixed band per bar (so one category is not a page-wide
    /// bar and twenty are not crammed), between 320 and 960 units.
    public func naturalWidth(left: Double = 64, right: Double = 20) -> Double {
        let band = Double(max(1, series.count)) * 24 + 28
        return min(960, max(320, left + right + Double(max(1, categories.count)) * band))
    }

    /// Each bar carries `data-category`, `data-series`, `data-value` and, with a CI,
    /// `data-lo`/`data-hi`, all exact. Without a `layout`, the width fits the bars.
    public func svg(title: String, xLabel: String, yLabel: String, layout: ChartLayout? = nil) -> SVGCanvas {
        var layout = layout ?? ChartLayout(width: naturalWidth(), height: 340)
        let band0 = (layout.width - layout.left - layout.right) / Double(max(1, categories.count))
        let longest = categories.map(\.count).max() ?? 0
        let rotate = Double(longest) * 6 > band0
        if rotate { layout.bottom = min(160, 30 + Double(min(longest, 24)) * 5.5); layout.height += layout.bottom - 52 }
        let names = series.map(\.name)
        layout = layout.addingLegend(names)
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        var values: [Double] = [0]
        for s in series { for b in s.bars.compactMap({ $0 }) { values += [b.value, b.ci?.lo ?? 0, b.ci?.hi ?? 0] } }
        values = values.filter { $0.isFinite }
        let (ylo, yhi, ys): (Double, Double, Double)
        if let d = domain {
            (ylo, yhi) = (d.0, d.1)
            ys = NiceTicks.step(lo: d.0, hi: d.1, count: 5)
        } else {
            (ylo, yhi, ys) = NiceTicks.domain(lo: values.min()!, hi: values.max()!, count: 5)
        }
        let y = LinearScale(domain: (ylo, yhi), range: (p.maxY, p.y))
        c.axes(layout: layout, title: title, x: nil, xTicks: nil, xDecimals: 0, y: y,
               yTicks: NiceTicks.ticks(lo: ylo, hi: yhi, step: ys), yDecimals: NiceTicks.decimals(step: ys),
               xLabel: xLabel, yLabel: yLabel)
        let band = p.width / Double(max(1, categories.count))
        let barWidth = band * 0.8 / Double(max(1, series.count))
        let base = y(min(max(0, ylo), yhi))
        for (k, cat) in categories.enumerated() {
            let x0 = p.x + Double(k) * band + band * 0.1
            let cx = p.x + (Double(k) + 0.5) * band
            if rotate {
                c.text(cat, x: cx + 3, y: p.maxY + 10, anchor: .end, size: 10, fill: "#333333", rotate: -45)
            } else {
                c.text(cat, x: cx, y: p.maxY + 16, anchor: .middle, size: 10, fill: "#333333")
            }
            for (s, ser) in series.enumerated() {
                guard k < ser.bars.count, let bar = ser.bars[k], bar.value.isFinite else { continue }
                let bx = x0 + Double(s) * barWidth
                let v = min(max(bar.value, ylo), yhi)
                let top = min(y(v), base), h = abs(y(v) - base)
                var extra: [(String, String)] = [("class", "bar"), ("data-category", cat), ("data-series", ser.name),
                                                 ("data-value", Format.exact(bar.value))]
                var tip = "\(ser.name.isEmpty ? "" : ser.name + " · ")\(cat): \(Format.stat(bar.value))"
                if let ci = bar.ci {
                    extra += [("data-lo", Format.exact(ci.lo)), ("data-hi", Format.exact(ci.hi))]
                    tip += " " + Format.interval(ci.lo, ci.hi)
                }
                c.rect(Rect(x: bx + 1, y: top, width: barWidth - 2, height: h),
                       fill: Palette.runs[s % Palette.runs.count], extra: extra, tooltip: tip)
                if let ci = bar.ci, ci.lo.isFinite, ci.hi.isFinite {
                    let mx = bx + barWidth / 2
                    let ylo2 = y(min(max(ci.lo, ylo), yhi)), yhi2 = y(min(max(ci.hi, ylo), yhi))
                    c.line(x1: mx, y1: ylo2, x2: mx, y2: yhi2, stroke: "#222222", extra: [("class", "whisker")])
                    c.line(x1: mx - 4, y1: ylo2, x2: mx + 4, y2: ylo2, stroke: "#222222")
                    c.line(x1: mx - 4, y1: yhi2, x2: mx + 4, y2: yhi2, stroke: "#222222")
                }
            }
        }
        if let r = reference, r >= ylo, r <= yhi {
            c.line(x1: p.x, y1: y(r), x2: p.maxX, y2: y(r), stroke: Palette.reference, dash: "4 3")
        }
        c.legend(names, x: p.x, y: 28, width: p.width)
        return c
    }
}

/// Lines through points with optional CI whiskers, one line per series: e.g. robustness win
/// rate against perturbation strength, one line per perturbation type.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double, lo: Double?, hi: Double?)]
        public init(name: String, points: [(x: Double, y: Double, lo: Double?, hi: Double?)]) {
            self.name = name; self.points = points
        }
    }
    public var series: [Series]
    public var yDomain: (Double, Double)?
    public var reference: Double?

    public init(series: [Series], yDomain: (Double, Double)? = nil, reference: Double? = nil) {
        self.series = series; self.yDomain = yDomain; self.reference = reference
    }

    public func svg(title: String, xLabel: String, yLabel: String, layout: ChartLayout = ChartLayout()) -> SVGCanvas {
        let names = series.map(\.name)
        let layout = layout.addingLegend(names)
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let px = NiceTicks.padded(all.map(\.x))
        let (xlo, xhi, xs) = NiceTicks.domain(lo: px.0, hi: px.1, count: 6)
        let (ylo, yhi, ys): (Double, Double, Double)
        if let d = yDomain { (ylo, yhi, ys) = (d.0, d.1, NiceTicks.step(lo: d.0, hi: d.1, count: 5)) } else {
            let ys0 = all.flatMap { [$0.y, $0.lo ?? $0.y, $0.hi ?? $0.y] }
            (ylo, yhi, ys) = NiceTicks.domain(lo: ys0.min() ?? 0, hi: ys0.max() ?? 1, count: 5)
        }
        let x = LinearScale(domain: (xlo, xhi), range: (p.x, p.maxX))
        let y = LinearScale(domain: (ylo, yhi), range: (p.maxY, p.y))
        c.axes(layout: layout, title: title, x: x, xTicks: NiceTicks.ticks(lo: xlo, hi: xhi, step: xs),
               xDecimals: NiceTicks.decimals(step: xs), y: y, yTicks: NiceTicks.ticks(lo: ylo, hi: yhi, step: ys),
               yDecimals: NiceTicks.decimals(step: ys), xLabel: xLabel, yLabel: yLabel)
        if let r = reference, r >= ylo, r <= yhi {
            c.line(x1: p.x, y1: y(r), x2: p.maxX, y2: y(r), stroke: Palette.reference, dash: "4 3")
        }
        func clampY(_ v: Double) -> Double { y(min(max(v, ylo), yhi)) }
        for (s, ser) in series.enumerated() {
            let color = Palette.runs[s % Palette.runs.count]
            let pts = ser.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            c.polyline(pts.map { (x($0.x), clampY($0.y)) }, stroke: color)
            for pt in pts {
                if let lo = pt.lo, let hi = pt.hi, lo.isFinite, hi.isFinite {
                    c.line(x1: x(pt.x), y1: clampY(lo), x2: x(pt.x), y2: clampY(hi), stroke: color)
                }
                c.circle(cx: x(pt.x), cy: clampY(pt.y), r: 3, fill: color,
                         extra: [("class", "point"), ("data-series", ser.name), ("data-x", Format.exact(pt.x)),
                                 ("data-y", Format.exact(pt.y))],
                         tooltip: "\(ser.name) at \(Format.setting(pt.x)): \(Format.stat(pt.y))" + (pt.lo != nil && pt.hi != nil ? " " + Format.interval(pt.lo ?? .nan, pt.hi ?? .nan) : ""))
            }
        }
        c.legend(names, x: p.x, y: 28, width: p.width)
        return c
    }
}
