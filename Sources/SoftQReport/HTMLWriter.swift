import Foundation
import SoftQBase

/// One table cell: its text (escaped when written) and attributes. A cell that holds a number
/// is right-aligned (`num`); `hash` cells show `Format.shortHash` with the full value on hover.
struct Cell {
    var text: String
    var attributes: [(String, String)] = []
    var numeric = false

    init(_ text: String, numeric: Bool = false, _ attributes: [(String, String)] = []) {
        self.text = text; self.numeric = numeric; self.attributes = attributes
    }

    /// A hash (or any long identifier): shortened, full value in `title`.
    static func hash(_ full: String) -> Cell {
        full.count > Format.hashLength + 1
            ? Cell(Format.shortHash(full), [("class", "hash"), ("title", full)]) : Cell(full)
    }

    /// A value from a JSON file: hex digests shortened, everything else as `cellText`.
    static func json(_ v: JSONValue) -> Cell {
        if let s = v.stringValue, Format.isHash(s) { return hash(s) }
        return Cell(v.cellText, numeric: v.doubleValue != nil)
    }
}

/// Builds the report as XHTML-compatible HTML: every element closed, every attribute quoted,
/// only XML's five named entities, and every user string through `Format.escape`, so the
/// file parses as XML (tested) and no dataset text can become markup.
struct HTMLWriter {
    private(set) var out = ""
    /// Standalone plots written beside the report: (file name, SVG document).
    private(set) var plots: [(String, String)] = []

    mutating func raw(_ s: String) { out += s }
    mutating func open(_ tag: String, _ attrs: [(String, String)] = []) { out += "<\(tag)\(SVGCanvas.attributes(attrs))>" }
    mutating func close(_ tag: String) { out += "</\(tag)>\n" }

    mutating func element(_ tag: String, _ text: String, _ attrs: [(String, String)] = []) {
        inline(tag, text, attrs)
        out += "\n"
    }

    /// An element inside running text: no line break after it (which would render as a space).
    mutating func inline(_ tag: String, _ text: String, _ attrs: [(String, String)] = []) {
        out += "<\(tag)\(SVGCanvas.attributes(attrs))>\(Format.escape(text))</\(tag)>"
    }

    mutating func heading(_ level: Int, _ text: String) { element("h\(level)", text) }
    mutating func paragraph(_ text: String) { element("p", text) }
    mutating func note(_ text: String) { element("p", text, [("class", "note")]) }

    /// A table of text cells; cells that look numeric are right-aligned.
    mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        table(header: header, cells: rows.map { $0.map { Cell($0, numeric: Self.looksNumeric($0)) } }, caption: caption)
    }

    static func looksNumeric(_ s: String) -> Bool {
        guard let c = s.unicodeScalars.first else { return false }
        return CharacterSet.decimalDigits.contains(c) || ((c == "-" || c == "[" || c == "−") && s.count > 1)
    }

    /// A table in a wrapper that scrolls sideways on its own, so a wide table never widens the page.
    mutating func table(header: [String], cells: [[Cell]], caption: String? = nil, attributes: [(String, String)] = []) {
        open("div", [("class", "table-wrap")])
        open("table", attributes)
        if let caption { element("caption", caption) }
        open("thead"); open("tr")
        for h in header { element("th", h) }
        close("tr"); close("thead")
        open("tbody")
        for row in cells {
            open("tr")
            for (k, cell) in row.enumerated() {
                var attrs = cell.attributes
                if cell.numeric {
                    if let i = attrs.firstIndex(where: { $0.0 == "class" }) { attrs[i].1 += " num" } else { attrs.append(("class", "num")) }
                }
                element(k == 0 ? "th" : "td", cell.text, attrs)
            }
            close("tr")
        }
        close("tbody"); close("table")
        close("div")
    }

    /// `<details>` with a one-line summary; close with `close("details")`.
    mutating func details(_ summary: String, _ attrs: [(String, String)] = []) {
        open("details", attrs)
        element("summary", summary)
    }

    /// Inlines the plot, links its standalone copy, and records it for writing.
    mutating func figure(_ canvas: SVGCanvas, name: String, caption: String) {
        let file = "\(name).svg"
        plots.append((file, canvas.document()))
        // The figure is as wide as its plot (so its caption wraps under it) and shrinks with the page.
        open("figure", [("class", "plot"), ("style", "width:\(Format.fixed(canvas.width))px")])
        out += canvas.element()
        open("figcaption")
        out += Format.escape(caption) + " "
        element("a", "(\(file))", [("href", "plots/\(file)")])
        close("figcaption")
        close("figure")
    }

    static let css = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; max-width: 1240px; margin: 0 auto; padding: 0 16px 48px; line-height: 1.4; }
    header { border-bottom: 1px solid #ddd; margin-bottom: 8px; }
    h1 { font-size: 22px; overflow-wrap: anywhere; }
    nav { display: flex; flex-wrap: wrap; gap: 4px 14px; padding-bottom: 8px; }
    h2 { border-bottom: 1px solid #eee; padding-bottom: 4px; margin-top: 32px; }
    .table-wrap { max-width: 100%; overflow-x: auto; }
    table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
    caption { text-align: left; font-weight: bold; padding: 4px 0; }
    th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
    thead th { background: #f6f6f6; }
    tbody th { font-weight: normal; overflow-wrap: normal; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .best { font-weight: bold; background: #e3f0fa; }
    .best::after { content: " ★"; color: #0072b2; }
    .hash { font-family: "DejaVu Sans Mono", monospace; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; margin: 8px 0 16px; }
    .card { border: 1px solid #ccc; border-radius: 6px; padding: 6px 10px; min-width: 0; }
    .card-label { font-size: 12px; color: #555; }
    .card-value { font-size: 22px; font-weight: bold; font-variant-numeric: tabular-nums; }
    .card-sub { font-size: 12px; color: #444; overflow-wrap: anywhere; }
    .legend-note { font-size: 12px; color: #555; }
    details { margin: 6px 0; border: 1px solid #e5e5e5; border-radius: 4px; padding: 4px 8px; }
    summary { cursor: pointer; overflow-wrap: anywhere; }
    .figures { display: flex; flex-wrap: wrap; gap: 0 16px; }
    figure.plot { margin: 8px 0; max-width: 100%; }
    figure.plot svg { max-width: 100%; height: auto; display: block; }
    figcaption { font-size: 12px; color: #555; max-width: 640px; overflow-wrap: anywhere; }
    .legend svg { max-width: 100%; height: auto; }
    .note { color: #6b5200; background: #fcf5dc; padding: 4px 8px; border-radius: 3px; overflow-wrap: anywhere; }
    .absent { color: #777; font-style: italic; }
    .pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; margin-bottom: 20px; }
    @media (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); } }
    .resp { white-space: pre-wrap; overflow-wrap: anywhere; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 1.8; border: 1px solid #ddd; padding: 8px; }
    .resp-head { font-size: 12px; color: #444; margin-bottom: 4px; font-family: "DejaVu Sans", sans-serif; }
    .tok { border-radius: 2px; padding: 1px 0; }
    .tok:hover { outline: 1px solid #000; }
    """

    /// The document around `body`. The Content-Security-Policy forbids every fetch (scripts,
    /// styles, images, fonts, connections) except inline styles, so the report cannot reach
    /// the network even if some text slipped through unescaped.
    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(Format.escape(title))</title>
        <style>
        \(css)
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }
}
