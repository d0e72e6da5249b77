import Foundation

/// Maps a data interval linearly onto a pixel interval (either may be reversed).
public struct LinearScale: Sendable {
    public let domain: (lo: Double, hi: Double)
    public let range: (lo: Double, hi: Double)

    public init(domain: (Double, Double), range: (Double, Double)) {
        self.domain = (domain.0, domain.1)
        self.range = (range.0, range.1)
    }

    public func callAsFunction(_ v: Double) -> Double {
        let span = domain.hi - domain.lo
        guard span != 0 else { return (range.lo + range.hi) / 2 }
        return range.lo + (v - domain.lo) / span * (range.hi - range.lo)
    }
}

/// "Nice" ticks: steps of 1, 2 or 5 times a power of ten, as people draw axes by hand.
public enum NiceTicks {
    /// The tick step for about `count` intervals over [lo, hi].
    public static func step(lo: Double, hi: Double, count: Int = 5) -> Double {
        let span = hi - lo
        guard span > 0, span.isFinite else { return 1 }
        let rough = span / Double(max(1, count))
        let mag = pow(10, (log10(rough)).rounded(.down))
        let norm = rough / mag
        let m: Double = norm < 1.5 ? 1 : (norm < 3 ? 2 : (norm < 7 ? 5 : 10))
        return m * mag
    }

    /// Decimals needed to print multiples of `step` exactly (0.5 → 1, 0.02 → 2, 10 → 0).
    public static func decimals(step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        return min(9, max(0, -Int((log10(step) + 1e-9).rounded(.down))))
    }

    /// [lo, hi] widened to whole steps; a degenerate interval is widened around its value.
    public static func domain(lo: Double, hi: Double, count: Int = 5) -> (Double, Double, step: Double) {
        var lo = lo, hi = hi
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let s = step(lo: lo, hi: hi, count: count)
        // Multiples are computed from integers so 0.1-steps do not drift (0.30000000000000004).
        return (clean((lo / s).rounded(.down) * s, s), clean((hi / s).rounded(.up) * s, s), s)
    }

    /// [lo, hi] of the data widened by `fraction` of its span on each side, so marks at the
    /// extremes are not drawn on the axes.
    public static func padded(_ values: [Double], fraction: Double = 0.04) -> (Double, Double) {
        let v = values.filter { $0.isFinite }
        guard let lo = v.min(), let hi = v.max() else { return (0, 1) }
        let pad = (hi - lo) * fraction
        return (lo - pad, hi + pad)
    }

    /// The multiples of `step` inside [lo, hi] (with a little slack for rounding).
    public static func ticks(lo: Double, hi: Double, step: Double) -> [Double] {
        guard step > 0, hi >= lo else { return [] }
        let first = Int((lo / step - 1e-9).rounded(.up)), last = Int((hi / step + 1e-9).rounded(.down))
        guard last >= first, last - first <= 1000 else { return [] }
        return (first...last).map { clean(Double($0) * step, step) }
    }

    /// `v` snapped to the nearest multiple of `step`, computed as the correctly rounded
    /// decimal k·m/10^d (step = m·10^−d), so 3 × 0.1 prints as 0.3, not 0.30000000000000004.
    static func clean(_ v: Double, _ step: Double) -> Double {
        let k = (v / step).rounded()
        let d = decimals(step: step)
        guard d > 0 else { return k * step == 0 ? 0 : k * step }
        let p = pow(10, Double(d))  // exact for d ≤ 22
        let r = (k * (step * p).rounded()) / p
        return r == 0 ? 0 : r
    }
}

/// The drawing area of a chart: canvas size, margins, plot rectangle, title, axis labels.
public struct ChartLayout: Sendable {
    public var width: Double = 640
    public var height: Double = 360
    public var left: Double = 64
    public var right: Double = 20
    public var top: Double = 36
    public var bottom: Double = 52

    public init() {}
    public init(width: Double, height: Double, bottom: Double = 52) {
        self.width = width; self.height = height; self.bottom = bottom
    }

    public var plot: Rect { Rect(x: left, y: top, width: width - left - right, height: height - top - bottom) }

    /// This layout grown by the legend of `names` above the plot (nothing for fewer than two),
    /// so the plot keeps its size.
    func addingLegend(_ names: [String]) -> ChartLayout {
        var grown = self
        let legend = SVGCanvas.legendHeight(names, width: width - left - right)
        grown.top += legend
        grown.height += legend
        return grown
    }
}

extension SVGCanvas {
    /// Draws the chart title, grid lines, ticks with labels and the axis labels.
    /// `xTicks == nil` leaves the x axis to the caller (categorical charts).
    mutating func axes(layout: ChartLayout, title: String, x: LinearScale?, xTicks: [Double]?, xDecimals: Int,
                       y: LinearScale, yTicks: [Double], yDecimals: Int, xLabel: String, yLabel: String) {
        let p = layout.plot
        text(title, x: layout.left, y: 20, size: 13, weight: "bold")
        for t in yTicks {
            let py = y(t)
            line(x1: p.x, y1: py, x2: p.maxX, y2: py, stroke: "#e5e5e5")
            text(Format.fixed(t, yDecimals), x: p.x - 6, y: py + 4, anchor: .end, size: 10, fill: "#555555")
        }
        if let x, let xTicks {
            for t in xTicks {
                let px = x(t)
                line(x1: px, y1: p.maxY, x2: px, y2: p.maxY + 4, stroke: "#555555")
                text(Format.fixed(t, xDecimals), x: px, y: p.maxY + 16, anchor: .middle, size: 10, fill: "#555555")
            }
        }
        line(x1: p.x, y1: p.maxY, x2: p.maxX, y2: p.maxY, stroke: "#555555")
        line(x1: p.x, y1: p.y, x2: p.x, y2: p.maxY, stroke: "#555555")
        text(xLabel, x: p.x + p.width / 2, y: layout.height - 8, anchor: .middle, size: 11)
        text(yLabel, x: 14, y: p.y + p.height / 2, anchor: .middle, size: 11, rotate: -90)
    }
}
