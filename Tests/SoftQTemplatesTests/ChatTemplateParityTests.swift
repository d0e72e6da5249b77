import Foundation
import SoftQBase
import SoftQTemplates
import XCTest

/// Real chat templates of ten model families rendered on seeded conversations, compared byte for
/// byte with Python jinja2 3.1 configured as transformers configures it (chat_cases.json).
final class ChatTemplateParityTests: XCTestCase {
    func testRealTemplatesMatchJinja2ByteForByte() throws {
        let cases = try fixtureCases("chat_cases.json")
        XCTAssertGreaterThan(cases.count, 150)
        var templates: [String: ChatTemplate] = [:]
        var families = Set<String>(), rendered = 0, raised = 0, spansChecked = 0, prepared = 0
        for (k, c) in cases.enumerated() {
            let name = try XCTUnwrap(c["template"]?.stringValue)
            families.insert(name)
            if templates[name] == nil {
                templates[name] = try ChatTemplate(source: try fixtureText("templates/\(name).jinja"), name: name)
            }
            let tokens = Dictionary(uniqueKeysWithValues: (c["special_tokens"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") })
            let extra = Dictionary(uniqueKeysWithValues: c["extra"]?.objectValue ?? [])
            var messages = c["messages"]?.arrayValue ?? []
            if c["prepare_messages"] == .bool(true) {
                // transformers 5 drops null-valued keys and aliases reasoning before rendering.
                messages = ChatTemplate.transformersPreparedMessages(messages)
                XCTAssertEqual(JSONValue.array(messages), c["prepared_messages"], "case \(k) (\(name)): prepared messages")
                prepared += 1
            }
            let render = {
                try templates[name]!.render(
                    messages: messages,
                    addGenerationPrompt: c["add_generation_prompt"] == .bool(true),
                    specialTokens: tokens, date: templateDate(c["date"]),
                    tools: c["tools"]?.arrayValue, extra: extra)
            }
            if let expected = c["expected"]?.stringValue {
                do {
                    let got = try render()
                    XCTAssertTrue(got == expected && got.utf8.elementsEqual(expected.utf8),
                                  "case \(k) (\(name)): \(firstDifference(got, expected))")
                    rendered += 1
                    // Templates with {% generation %}: the spans transformers' tracker records.
                    if let spans = c["expected_generation_spans"]?.arrayValue {
                        let r = try templates[name]!.renderWithGenerationSpans(
                            messages: messages,
                            addGenerationPrompt: c["add_generation_prompt"] == .bool(true),
                            specialTokens: tokens, date: templateDate(c["date"]), tools: c["tools"]?.arrayValue, extra: extra)
                        XCTAssertEqual(r.text, got)
                        let expectedSpans = spans.map { pair -> Range<Int> in
                            let b = pair.arrayValue?.compactMap(\.intValue) ?? []
                            return b.count == 2 ? b[0]..<b[1] : 0..<0
                        }
                        XCTAssertEqual(r.generationSpans, expectedSpans, "case \(k) (\(name)) generation spans")
                        spansChecked += 1
                    }
                } catch {
                    XCTFail("case \(k) (\(name)) threw \(error)")
                }
            } else {
                let message = try XCTUnwrap(c["expected_error"]?.stringValue)
                XCTAssertThrowsError(try render(), "case \(k) (\(name)) should raise") { error in
                    guard let e = error as? TemplateError else { return XCTFail("case \(k): \(error)") }
                    XCTAssertEqual(e.kind, .raised, "case \(k) (\(name))")
                    XCTAssertEqual(e.message, message, "case \(k) (\(name))")
                    XCTAssertEqual(e.template, name)
                    XCTAssertGreaterThan(e.line, 0, "case \(k): the error names its line")
                }
                raised += 1
            }
        }
        XCTAssertGreaterThanOrEqual(families.count, 10)
        XCTAssertGreaterThan(raised, 5)
        XCTAssertGreaterThan(spansChecked, 10)
        XCTAssertGreaterThanOrEqual(prepared, 5)
        print("chat template parity: \(rendered) renderings identical, \(raised) raise_exception messages identical, \(spansChecked) generation-span lists identical, \(families.count) templates")
    }
}
