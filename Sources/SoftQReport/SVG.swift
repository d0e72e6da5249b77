import Foundation

/// Number and text formatting shared by the SVG and HTML writers.
///
/// Output must be byte-identical across runs and machines, so numbers never go through
/// locale-dependent or platform formatting: they are rounded to a fixed number of decimals
/// with integer arithmetic and printed without trailing zeros and without `-0`.
public enum Format {
    /// `x` rounded half away from zero to `decimals` places: `fixed(1.5, 2) == "1.5"`,
    /// `fixed(-0.0001, 2) == "0"`, `fixed(2, 2) == "2"`. Non-finite values print as `nan`,
    /// `inf`, `-inf` (they never reach a coordinate: callers filter them first).
    public static func fixed(_ x: Double, _ decimals: Int = 2) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        precondition((0...9).contains(decimals), "decimals must be in 0...9")
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        // Beyond 2^53 / scale the value has no fractional digits worth printing anyway.
        guard abs(x) * Double(scale) < 9.0e15 else { return String(Int64(x.rounded())) }
        let r = Int64((x * Double(scale)).rounded(.toNearestOrAwayFromZero))
        if r == 0 { return "0" }
        let a = r.magnitude
        let whole = a / UInt64(scale), frac = a % UInt64(scale)
        var s = r < 0 ? "-" : ""
        s += String(whole)
        if frac != 0 {
            var digits = String(frac)
            digits = String(repeating: "0", count: decimals - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            s += "." + digits
        }
        return s
    }

    /// The shortest decimal that reads back as the same double (as in the JSON files), so a
    /// value shown or stored in a `data-` attribute can be compared exactly with the JSON.
    public static func exact(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        if x == 0 { return "0" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// A fraction as a percentage with one decimal: `0.8125 → "81.3%"`.
    public static func percent(_ x: Double) -> String { fixed(x * 100, 1) + "%" }

    /// Escapes text for XML/XHTML content and attribute values. Characters XML 1.0 forbids
    /// (C0 controls other than tab/newline/return, U+FFFE, U+FFFF) become U+FFFD so the
    /// document stays well-formed whatever a model or dataset produced.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

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
