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
    /// Group colours (Okabe–Ito green and reddish purple by default, so groups inside one run
    /// are not mistaken for the runs' blue and orange).
    public var palette: [String]
    /// Fixed axes (for small multiples on shared axes); nil fits the data.
    public var xDomain: (Double, Double)?
    public var yDomain: (Double, Double)?

    public init(points: [Point], groups: [String] = [], palette: [String] = ["#009e73", "#cc79a7", "#0072b2", "#e69f00"]) {
        self.points = points
        self.groups = groups
        self.palette = palette
    }

    /// The padded data range of several scatters' x and y, for drawing them on shared axes.
    public static func sharedDomains(_ all: [Scatter]) -> (x: (Double, Double), y: (Double, Double)) {
        let pts = all.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        return (NiceTicks.padded(pts.map(\.x)), NiceTicks.padded(pts.map(\.y)))
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
        var out = self
        out.points = idx[0..<limit].sorted().map { points[$0] }
        return out
    }

    /// Each point carries `data-x`, `data-y` (exact) and a tooltip with its label.
    public func svg(title: String, xLabel: String, yLabel: String, diagonal: Bool = false,
                    layout: ChartLayout = ChartLayout()) -> SVGCanvas {
        var layout = layout
        let legendHeight = SVGCanvas.legendHeight(groups, width: layout.width - layout.left - layout.right)
        layout.top += legendHeight
        layout.height += legendHeight
        var c = SVGCanvas(width: layout.width, height: layout.height, title: title)
        let p = layout.plot
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        let px = xDomain ?? NiceTicks.padded(finite.map(\.x)), py = yDomain ?? NiceTicks.padded(finite.map(\.y))
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
            let color = palette[pt.group % palette.count]
            let tip = (pt.label.isEmpty ? "" : pt.label + ": ") + "(\(Format.stat(pt.x)), \(Format.stat(pt.y)))"
            c.circle(cx: x(pt.x), cy: y(pt.y), r: 2.5, fill: color, opacity: 0.7,
                     extra: [("class", "point"), ("data-x", Format.exact(pt.x)), ("data-y", Format.exact(pt.y))],
                     tooltip: tip)
        }
        c.legend(groups, x: p.x, y: 28, width: p.width, palette: palette)
        return c
    }
}

/// Colours: the Okabe–Ito palette (distinguishable with the common colour-vision
/// deficiencies), in its usual order without yellow and black first, for runs and series.
public enum Palette {
    public static let runs = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000", "#f0e442"]
    /// Reference lines (chance, margin 0, perfect calibration).
    public static let reference = "#555555"
}

extension SVGCanvas {
    static let legendRow = 15.0

    /// Legend entries laid out left to right in rows of at most `width`: (row, x offset) each.
    /// Text width is estimated at 6.2 units per character (11-unit DejaVu Sans is narrower).
    static func legendLayout(_ names: [String], width: Double) -> [(row: Int, x: Double)] {
        var out: [(row: Int, x: Double)] = []
        var row = 0, x = 0.0
        for n in names {
            let w = 16 + 6.2 * Double(n.count) + 14
            if x > 0 && x + w > width { row += 1; x = 0 }
            out.append((row, x))
            x += w
        }
        return out
    }

    /// The height a legend of `names` needs above the plot (0 for fewer than two entries).
    static func legendHeight(_ names: [String], width: Double) -> Double {
        guard names.count > 1 else { return 0 }
        return Double((legendLayout(names, width: width).last?.row ?? 0) + 1) * legendRow + 4
    }

    /// A legend of coloured squares in rows under the title, starting at (`x`, `y`); nothing
    /// for fewer than two entries. Callers reserve `legendHeight` above the plot.
    mutating func legend(_ names: [String], x: Double, y: Double, width: Double, palette: [String] = Palette.runs) {
        guard names.count > 1 else { return }
        for (k, (name, pos)) in zip(names, Self.legendLayout(names, width: width)).enumerated() {
            let yy = y + Double(pos.row) * Self.legendRow
            rect(Rect(x: x + pos.x, y: yy, width: 10, height: 10), fill: palette[k % palette.count])
            text(name, x: x + pos.x + 14, y: yy + 9, size: 10)
        }
    }
}
