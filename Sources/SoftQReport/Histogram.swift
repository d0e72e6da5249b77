import Foundation

/// Counts of values in equal-width bins with "nice" edges.
///
/// Bin k holds values in [edges[k], edges[k+1]); the last bin also holds its upper edge.
/// Non-finite values are not binned and are counted in `dropped`.
public struct Histogram: Equatable, Sendable {
    public let edges: [Double]
    public let counts: [Int]
    public let dropped: Int

    public init(edges: [Double], counts: [Int], dropped: Int) {
        self.edges = edges; self.counts = counts; self.dropped = dropped
    }

    /// Bins `values` into about `bins` nice bins spanning their range.
    public init(values: [Double], bins: Int = 20) {
        self.init(values: values, edges: Self.edges(for: values, bins: bins))
    }

    /// About `bins` nice, equal-width bin edges spanning the finite `values` (at least two edges).
    public static func edges(for values: [Double], bins: Int = 20) -> [Double] {
        let finite = values.filter { $0.isFinite }
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let (dlo, dhi, step) = NiceTicks.domain(lo: lo, hi: hi, count: max(1, bins))
        let edges = NiceTicks.ticks(lo: dlo, hi: dhi, step: step)
        return edges.count < 2 ? [dlo, dhi] : edges
    }

    /// Bins `values` into the given equal-width `edges` (shared between runs, so their
    /// histograms are comparable); values outside them count in the first or last bin.
    public init(values: [Double], edges: [Double]) {
        let finite = values.filter { $0.isFinite }
        let edges = edges.count < 2 ? [0, 1] : edges
        let step = (edges[edges.count - 1] - edges[0]) / Double(edges.count - 1)
        var counts = [Int](repeating: 0, count: edges.count - 1)
        for v in finite {
            // Index from the step, then nudged so that floating rounding cannot misplace an edge value.
            var k = step > 0 ? Int(((v - edges[0]) / step).rounded(.down)) : 0
            k = min(max(k, 0), counts.count - 1)
            while k > 0, v < edges[k] { k -= 1 }
            while k < counts.count - 1, v >= edges[k + 1] { k += 1 }
            counts[k] += 1
        }
        self.init(edges: edges, counts: counts, dropped: values.count - finite.count)
    }

    /// An SVG bar chart of the counts; each bar carries `data-lo`, `data-hi`, `data-count`.
    /// `marker` draws a dashed vertical line (e.g. at margin 0, the decision boundary).
    /// `yMax` fixes the count axis (for histograms of several runs on shared axes).
    public func svg(title: String, xLabel: String, marker: Double? = nil, color: String = Palette.runs[0],
                    yMax: Int? = nil, layout: ChartLayout = ChartLayout()) -> SVGCanvas {
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let x = LinearScale(domain: (edges.first!, edges.last!), range: (p.x, p.maxX))
        let maxCount = Double(yMax ?? counts.max() ?? 0)
        let (ylo, yhi, ystep) = NiceTicks.domain(lo: 0, hi: max(1, maxCount), count: 5)
        let y = LinearScale(domain: (ylo, yhi), range: (p.maxY, p.y))
        let xStep = NiceTicks.step(lo: edges.first!, hi: edges.last!, count: 6)
        c.axes(layout: layout, title: title, x: x, xTicks: NiceTicks.ticks(lo: edges.first!, hi: edges.last!, step: xStep),
               xDecimals: NiceTicks.decimals(step: xStep), y: y,
               yTicks: NiceTicks.ticks(lo: ylo, hi: yhi, step: max(1, ystep)), yDecimals: 0,
               xLabel: xLabel, yLabel: "count")
        for (k, n) in counts.enumerated() {
            let x0 = x(edges[k]), x1 = x(edges[k + 1])
            let top = y(Double(n))
            c.rect(Rect(x: x0 + 0.5, y: top, width: x1 - x0 - 1, height: p.maxY - top), fill: color,
                   extra: [("class", "bin"), ("data-lo", Format.exact(edges[k])), ("data-hi", Format.exact(edges[k + 1])),
                           ("data-count", String(n))],
                   tooltip: "[\(Format.setting(edges[k])), \(Format.setting(edges[k + 1]))): \(n)")
        }
        if let m = marker, m >= edges.first!, m <= edges.last! {
            c.line(x1: x(m), y1: p.y, x2: x(m), y2: p.maxY, stroke: Palette.reference, width: 1.5, dash: "4 3")
        }
        return c
    }
}
