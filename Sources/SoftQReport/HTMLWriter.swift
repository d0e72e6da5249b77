import Foundation
import SoftQBase

/// Builds the report as XHTML-compatible HTML: every element closed, every attribute quoted,
/// only XML's five named entities, and every user string through `Format.escape`, so the
/// file parses as XML (tested) and no dataset text can become markup.
struct HTMLWriter {
    private(set) var out = ""
    /// Standalone plots written beside the report: (file name, SVG document).
    private(set) var plots: [(String, String)] = []
    /// Prefix for plot file names, "" for a single run and "runK-" in a multi-run report.
    var plotPrefix = ""

    mutating func raw(_ s: String) { out += s }
    mutating func open(_ tag: String, _ attrs: [(String, String)] = []) { out += "<\(tag)\(SVGCanvas.attributes(attrs))>" }
    mutating func close(_ tag: String) { out += "</\(tag)>\n" }

    mutating func element(_ tag: String, _ text: String, _ attrs: [(String, String)] = []) {
        out += "<\(tag)\(SVGCanvas.attributes(attrs))>\(Format.escape(text))</\(tag)>\n"
    }

    mutating func heading(_ level: Int, _ text: String) { element("h\(level)", text) }
    mutating func paragraph(_ text: String) { element("p", text) }
    mutating func note(_ text: String) { element("p", text, [("class", "note")]) }

    /// A table of text cells; cells that look numeric are right-aligned.
    mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        open("table")
        if let caption { element("caption", caption) }
        open("thead"); open("tr")
        for h in header { element("th", h) }
        close("tr"); close("thead")
        open("tbody")
        for row in rows {
            open("tr")
            for cell in row {
                element("td", cell, Double(cell) != nil || cell.hasSuffix("%") ? [("class", "num")] : [])
            }
            close("tr")
        }
        close("tbody"); close("table")
    }

    /// Inlines the plot, links its standalone copy, and records it for writing.
    mutating func figure(_ canvas: SVGCanvas, name: String, caption: String) {
        let file = "\(plotPrefix)\(name).svg"
        plots.append((file, canvas.document()))
        open("figure", [("class", "plot")])
        out += canvas.element()
        open("figcaption")
        out += Format.escape(caption) + " "
        element("a", "(\(file))", [("href", "plots/\(file)")])
        close("figcaption")
        close("figure")
    }

    static let css = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; max-width: 1240px; margin: 0 auto; padding: 0 16px 48px; }
    header { border-bottom: 1px solid #ddd; margin-bottom: 8px; }
    nav a { margin-right: 14px; }
    h2 { border-bottom: 1px solid #eee; padding-bottom: 4px; margin-top: 32px; }
    table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
    caption { text-align: left; font-weight: bold; padding: 4px 0; white-space: nowrap; }
    th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    figure.plot { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; }
    figcaption { font-size: 12px; color: #555; max-width: 640px; }
    .note { color: #6b5200; background: #fcf5dc; padding: 4px 8px; border-radius: 3px; }
    .absent { color: #777; font-style: italic; }
    .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-bottom: 20px; }
    .resp { white-space: pre-wrap; word-break: break-word; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 1.8; border: 1px solid #ddd; padding: 8px; }
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

extension JSONValue {
    /// A cell's text: strings as they are, numbers exact, other values as compact JSON.
    var cellText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Format.exact(d)
        case .null: return "–"
        case .bool(let b): return b ? "true" : "false"
        default: return serialized()
        }
    }
}
