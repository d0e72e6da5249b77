import Foundation
import SoftQBase

/// A scatter plot of (x, y) points in a few coloured groups.
public struct Scatter: Sendable {
    public struct Point: Sendable, Equatable {
        public var x, y: Double
        public var group: Int
        public var label: String
        public init(x: Double, y: Double, group: Int = 0, label: String = "") {
            self.x = x; self.y = y; self.group = group; self.label = label
        }
    }

    public var points: [Point]
    /// Group names for the legend, indexed by `Point.group`.
    public var groups: [String]
    public static let palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]

    public init(points: [Point], groups: [String] = []) {
        self.points = points
        self.groups = groups
    }

    /// At most `limit` points, drawn without replacement with a seeded generator and kept in
    /// input order, so a large plot stays small and is the same on every run.
    public func thinned(to limit: Int, seed: UInt64) -> Scatter {
        guard points.count > limit else { return self }
        var rng = SeededGenerator(seed: seed)
        var idx = Array(points.indices)
        for k in 0..<limit {
            let j = k + rng.nextInt(below: idx.count - k)
            idx.swapAt(k, j)
        }
        return Scatter(points: idx[0..<limit].sorted().map { points[$0] }, groups: groups)
    }

    /// Each point carries `data-x`, `data-y` (exact) and a tooltip with its label.
    public func svg(title: String, xLabel: String, yLabel: String, diagonal: Bool = false,
                    layout: ChartLayout = ChartLayout()) -> SVGCanvas {
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        let px = NiceTicks.padded(finite.map(\.x)), py = NiceTicks.padded(finite.map(\.y))
        let (xlo, xhi, xs) = NiceTicks.domain(lo: px.0, hi: px.1, count: 6)
        let (ylo, yhi, ys) = NiceTicks.domain(lo: py.0, hi: py.1, count: 5)
        let x = LinearScale(domain: (xlo, xhi), range: (p.x, p.maxX))
        let y = LinearScale(domain: (ylo, yhi), range: (p.maxY, p.y))
        c.axes(layout: layout, title: title, x: x, xTicks: NiceTicks.ticks(lo: xlo, hi: xhi, step: xs),
               xDecimals: NiceTicks.decimals(step: xs), y: y, yTicks: NiceTicks.ticks(lo: ylo, hi: yhi, step: ys),
               yDecimals: NiceTicks.decimals(step: ys), xLabel: xLabel, yLabel: yLabel)
        if diagonal {
            let lo = max(xlo, ylo), hi = min(xhi, yhi)
            if hi > lo { c.line(x1: x(lo), y1: y(lo), x2: x(hi), y2: y(hi), stroke: "#999999", dash: "4 3") }
        }
        for pt in finite {
            let color = Self.palette[pt.group % Self.palette.count]
            let tip = (pt.label.isEmpty ? "" : pt.label + ": ") + "(\(Format.exact(pt.x)), \(Format.exact(pt.y)))"
            c.circle(cx: x(pt.x), cy: y(pt.y), r: 2.5, fill: color, opacity: 0.7,
                     extra: [("class", "point"), ("data-x", Format.exact(pt.x)), ("data-y", Format.exact(pt.y))],
                     tooltip: tip)
        }
        c.legend(groups, at: p.maxX, y: p.y)
        return c
    }
}

extension SVGCanvas {
    /// A legend of coloured squares, right-aligned at `x`; nothing for fewer than two entries.
    mutating func legend(_ names: [String], at x: Double, y: Double, palette: [String] = Scatter.palette) {
        guard names.count > 1 else { return }
        for (k, name) in names.enumerated() {
            let yy = y + 4 + Double(k) * 15
            rect(Rect(x: x - 150, y: yy, width: 10, height: 10), fill: palette[k % palette.count])
            text(name, x: x - 135, y: yy + 9, size: 10)
        }
    }
}
