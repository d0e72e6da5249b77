import Foundation
import SoftQBase
import SoftQTemplates
import XCTest

/// Small templates that each probe one piece of Python/jinja2 semantics (operators, loop
/// variables, whitespace control, undefined values, filters, tests, methods), compared with what
/// jinja2 rendered or the kind of exception it raised (snippets.json).
final class SnippetParityTests: XCTestCase {
    func testSnippetsMatchJinja2() throws {
        let cases = try fixtureCases("snippets.json")
        XCTAssertGreaterThan(cases.count, 100)
        var checked = 0
        for c in cases {
            let name = try XCTUnwrap(c["name"]?.stringValue)
            let source = try XCTUnwrap(c["source"]?.stringValue)
            let variables = Dictionary(uniqueKeysWithValues: c["variables"]?.objectValue ?? [])
            let result = Result { try ChatTemplate(source: source, name: name).render(variables: variables, date: templateDate(nil).with(hour: 9, minute: 5, second: 7)) }
            if let expected = c["expected"]?.stringValue {
                switch result {
                case .success(let got):
                    XCTAssertTrue(got.utf8.elementsEqual(expected.utf8), "\(name): \(firstDifference(got, expected))")
                case .failure(let e):
                    XCTFail("\(name) threw \(e), expected \(expected.debugDescription)")
                }
            } else {
                let kind = try XCTUnwrap(c["expected_error_kind"]?.stringValue)
                switch result {
                case .success(let got):
                    XCTFail("\(name) rendered \(got.debugDescription), expected a \(kind) error")
                case .failure(let error):
                    guard let e = error as? TemplateError else { XCTFail("\(name): \(error)"); continue }
                    XCTAssertEqual(e.kind.rawValue, kind, "\(name): \(e)")
                    XCTAssertGreaterThan(e.line, 0, "\(name): \(e) has no line")
                    if let message = c["expected_error"]?.stringValue { XCTAssertEqual(e.message, message, name) }
                }
            }
            checked += 1
        }
        print("snippet parity: \(checked) snippets checked against jinja2")
    }
}

extension TemplateDate {
    func with(hour: Int, minute: Int, second: Int) -> TemplateDate {
        TemplateDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}
