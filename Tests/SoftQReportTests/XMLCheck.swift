import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Parses a document with Foundation's XMLParser (libxml2) and keeps every element with its
/// attributes and the text directly inside it, so tests can query SVG marks and HTML sections.
final class XMLDocument: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
        var ancestors: [String]
    }
    private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private(set) var error: String?

    static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> XMLDocument? {
        let doc = XMLDocument()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = doc
        parser.shouldResolveExternalEntities = false
        if !parser.parse() {
            XCTFail("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? doc.error ?? "?") at line \(parser.lineNumber), column \(parser.columnNumber)", file: file, line: line)
            return nil
        }
        return doc
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes, text: "", ancestors: stack.map { elements[$0].name }))
        stack.append(elements.count - 1)
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let k = stack.last { elements[k].text += string }
    }
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = "\(parseError)" }

    func all(_ name: String, class cls: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (cls == nil || $0.attributes["class"] == cls) }
    }
}
