import Foundation
import SoftQBase
import SoftQTemplates
import XCTest

/// Reads a fixture shipped with the test bundle (written by make_chat_template_fixtures.py).
func fixtureText(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
        XCTFail("fixture \(name) is missing; run Scripts/reference/make_chat_template_fixtures.py")
        throw CocoaError(.fileNoSuchFile)
    }
    return String(decoding: try Data(contentsOf: url), as: UTF8.self)
}

/// A fixture file's cases, after checking its format version.
func fixtureCases(_ name: String) throws -> [JSONValue] {
    let root = try JSONParser.parse(try fixtureText(name))
    XCTAssertEqual(root["format_version"]?.intValue, 1, "format version of \(name)")
    return root["cases"]?.arrayValue ?? []
}

func templateDate(_ v: JSONValue?) -> TemplateDate {
    let f = (v?.arrayValue ?? []).compactMap(\.intValue)
    guard f.count == 6 else { return TemplateDate(year: 2026, month: 11, day: 30) }
    return TemplateDate(year: f[0], month: f[1], day: f[2], hour: f[3], minute: f[4], second: f[5])
}

/// Where two renderings first differ, with a little context, for readable failures.
func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    var k = 0
    while k < x.count && k < y.count && x[k] == y[k] { k += 1 }
    func around(_ s: [Unicode.Scalar]) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s[max(0, k - 20)..<min(s.count, k + 20)])
        return String(v).debugDescription
    }
    return "first difference at scalar \(k): got \(around(x)) expected \(around(y))"
}
