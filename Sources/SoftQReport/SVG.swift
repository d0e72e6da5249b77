import Foundation

/// A rectangle in SVG user units (y grows downwards).
public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
}

/// A tiny append-only SVG writer. Coordinates are printed with `Format.fixed(_, 2)`;
/// every mark that carries data also carries its exact value in `data-*` attributes
/// (shortest round-trip decimals), so tests and users can check a plot against the JSON.
///
/// Presentation attributes are written on the elements themselves (no CSS classes needed),
/// so a standalone `.svg` file looks the same as the copy inlined in the report.
public struct SVGCanvas {
    public let width: Double
    public let height: Double
    public let title: String
    private(set) var body = ""

    public static let font = "DejaVu Sans, Helvetica, Arial, sans-serif"

    public init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    /// Attributes as ordered pairs; values are escaped here, names are trusted constants.
    static func attributes(_ attrs: [(String, String)]) -> String {
        attrs.map { " \($0.0)=\"\(Format.escape($0.1))\"" }.joined()
    }

    public mutating func raw(_ s: String) { body += s }

    public mutating func rect(_ r: Rect, fill: String, stroke: String? = nil, extra: [(String, String)] = [],
                              tooltip: String? = nil) {
        var a: [(String, String)] = [("x", Format.fixed(r.x)), ("y", Format.fixed(r.y)),
                                     ("width", Format.fixed(max(0, r.width))), ("height", Format.fixed(max(0, r.height))),
                                     ("fill", fill)]
        if let stroke { a.append(("stroke", stroke)) }
        element("rect", a + extra, tooltip: tooltip)
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                              width: Double = 1, dash: String? = nil, extra: [(String, String)] = []) {
        var a: [(String, String)] = [("x1", Format.fixed(x1)), ("y1", Format.fixed(y1)),
                                     ("x2", Format.fixed(x2)), ("y2", Format.fixed(y2)),
                                     ("stroke", stroke), ("stroke-width", Format.fixed(width))]
        if let dash { a.append(("stroke-dasharray", dash)) }
        element("line", a + extra, tooltip: nil)
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, opacity: Double = 1,
                                extra: [(String, String)] = [], tooltip: String? = nil) {
        var a: [(String, String)] = [("cx", Format.fixed(cx)), ("cy", Format.fixed(cy)), ("r", Format.fixed(r)),
                                     ("fill", fill)]
        if opacity < 1 { a.append(("fill-opacity", Format.fixed(opacity))) }
        element("circle", a + extra, tooltip: tooltip)
    }

    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5) {
        guard points.count > 1 else { return }
        let p = points.map { "\(Format.fixed($0.0)),\(Format.fixed($0.1))" }.joined(separator: " ")
        element("polyline", [("points", p), ("fill", "none"), ("stroke", stroke),
                             ("stroke-width", Format.fixed(width))], tooltip: nil)
    }

    public enum Anchor: String { case start, middle, end }

    public mutating func text(_ s: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 11,
                              weight: String? = nil, fill: String = "#222222", rotate: Double? = nil) {
        var a: [(String, String)] = [("x", Format.fixed(x)), ("y", Format.fixed(y)), ("font-size", Format.fixed(size))]
        if anchor != .start { a.append(("text-anchor", anchor.rawValue)) }
        if let weight { a.append(("font-weight", weight)) }
        a.append(("fill", fill))
        if let rotate { a.append(("transform", "rotate(\(Format.fixed(rotate)) \(Format.fixed(x)) \(Format.fixed(y)))")) }
        body += "<text\(Self.attributes(a))>\(Format.escape(s))</text>\n"
    }

    private mutating func element(_ name: String, _ attrs: [(String, String)], tooltip: String?) {
        if let tooltip {
            body += "<\(name)\(Self.attributes(attrs))><title>\(Format.escape(tooltip))</title></\(name)>\n"
        } else {
            body += "<\(name)\(Self.attributes(attrs))/>\n"
        }
    }

    /// The `<svg>` element, for inlining into the report.
    public func element() -> String {
        let w = Format.fixed(width), h = Format.fixed(height)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
            + " role=\"img\" aria-label=\"\(Format.escape(title))\" font-family=\"\(Self.font)\">\n"
            + "<title>\(Format.escape(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
            + body + "</svg>\n"
    }

    /// A standalone `.svg` file: XML declaration plus the element.
    public func document() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + element()
    }
}
