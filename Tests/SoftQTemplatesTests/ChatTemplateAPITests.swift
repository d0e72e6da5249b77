import Dispatch
import Foundation
import SoftQBase
import SoftQTemplates
import XCTest

/// The public API: variables transformers passes, error locations, reuse across threads, speed.
final class ChatTemplateAPITests: XCTestCase {
    let date = TemplateDate(year: 2026, month: 11, day: 30, hour: 14, minute: 5, second: 9)

    func message(_ role: String, _ content: String) -> JSONValue {
        .object([("role", .string(role)), ("content", .string(content))])
    }

    func testVariablesAreThoseTransformersPasses() throws {
        let t = try ChatTemplate(source: "{{ tools is none }} {{ documents is none }} {{ add_generation_prompt }} "
                                 + "{{ bos_token }}{{ eos_token }} {{ messages|length }} {{ custom }} {{ pad_token is defined }}",
                                 name: "vars")
        let out = try t.render(messages: [message("user", "hi")], addGenerationPrompt: true,
                               specialTokens: ["bos_token": "<s>", "eos_token": "</s>"], date: date,
                               extra: ["custom": .int(7)])
        XCTAssertEqual(out, "True True True <s></s> 1 7 False")
        let withTools = try ChatTemplate(source: "{{ tools|length }}", name: "t")
            .render(messages: [], date: date, tools: [.object([("name", .string("f"))])])
        XCTAssertEqual(withTools, "1")
    }

    func testGenerationSpans() throws {
        let source = "{% for m in messages %}{{ m.role }}: {% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{{ '\\n' }}{% endfor %}"
        let t = try ChatTemplate(source: source, name: "g")
        let r = try t.renderWithGenerationSpans(messages: [message("user", "héllo"), message("assistant", "😀 ok"), message("user", "x"), message("assistant", "done")], date: date)
        XCTAssertEqual(r.text, "user: héllo\nassistant: 😀 ok\nuser: x\nassistant: done\n")
        XCTAssertEqual(r.generatedTexts, ["😀 ok", "done"])
        XCTAssertEqual(r.generationSpans, [23..<27, 47..<51])          // Unicode scalars, as Python indexes
        XCTAssertEqual(r.generationUTF8Spans, [24..<31, 51..<55])      // "é" and "😀" take 2 and 4 bytes
        XCTAssertEqual(try t.render(messages: [message("assistant", "a")], date: date), "assistant: a\n")
        let plain = try ChatTemplate(source: "{{ messages|length }}", name: "p").renderWithGenerationSpans(messages: [], date: date)
        XCTAssertEqual(plain, ChatRendering(text: "0", generationSpans: []))
        let nested = try ChatTemplate(source: "{% macro m() %}{% generation %}x{% endgeneration %}{% endmacro %}{{ m() }}", name: "n")
        XCTAssertEqual(try nested.render(messages: [], date: date), "x")
        XCTAssertThrowsError(try nested.renderWithGenerationSpans(messages: [], date: date)) { error in
            XCTAssertEqual((error as? TemplateError)?.kind, .unsupported)
        }
    }

    func testErrorsCarryTemplateNameAndLine() throws {
        let cases: [(String, TemplateError.Kind, Int)] = [
            ("a\nb\n{{ 1 + }}", .syntax, 3),
            ("line1\n{% if x %}\n{{ x.q.z }}\n{% endif %}", .undefined, 3),
            ("\n\n\n{% include 'other.jinja' %}", .unsupported, 4),
            ("{% for m in messages %}\n{{ m|nosuchfilter }}{% endfor %}", .syntax, 2),
            ("x\n{{ messages|dictsort }}", .unsupported, 2),
            ("{% if true %}\n\n{{ raise_exception('bad role') }}{% endif %}", .raised, 3),
            ("{% for x in [1] %}\n{{ 1 // 0 }}{% endfor %}", .zeroDivision, 2),
            ("{{ 'unterminated }}", .syntax, 1),
            ("{% if true %}never closed", .syntax, 1),
        ]
        for (source, kind, line) in cases {
            XCTAssertThrowsError(try ChatTemplate(source: source, name: "t.jinja")
                .render(variables: ["x": .object([("y", .int(1))]), "messages": .array([.int(1)])], date: date),
                                 source.debugDescription) { error in
                guard let e = error as? TemplateError else { return XCTFail("\(source): \(error)") }
                XCTAssertEqual(e.kind, kind, "\(source.debugDescription): \(e)")
                XCTAssertEqual(e.template, "t.jinja")
                if kind != .syntax || line > 1 { XCTAssertEqual(e.line, line, "\(source.debugDescription): \(e)") }
                XCTAssertTrue(e.description.hasPrefix("t.jinja:"), e.description)
            }
        }
    }

    func testRaisedMessageIsExact() throws {
        let t = try ChatTemplate(source: "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}", name: "r")
        XCTAssertThrowsError(try t.render(messages: [], date: date)) { error in
            XCTAssertEqual(error as? TemplateError, TemplateError(.raised, "Conversation roles must alternate user/assistant/user/assistant/...", template: "r", line: 1))
        }
    }

    func testDateFromFoundationDate() throws {
        let t = try ChatTemplate(source: "{{ strftime_now('%A %d %b %Y %H:%M:%S %j') }}", name: "d")
        // 2024-02-29T23:30:00Z, a leap day; one hour east it is already 1 March.
        let instant = Date(timeIntervalSince1970: 1_709_249_400)
        XCTAssertEqual(try t.render(messages: [], date: TemplateDate(instant)), "Thursday 29 Feb 2024 23:30:00 060")
        let plusOne = TemplateDate(instant, timeZone: TimeZone(secondsFromGMT: 3600)!)
        XCTAssertEqual(try t.render(messages: [], date: plusOne), "Friday 01 Mar 2024 00:30:00 061")
        XCTAssertEqual(try t.render(messages: [], date: TemplateDate(Date(timeIntervalSince1970: 0))), "Thursday 01 Jan 1970 00:00:00 001")
    }

    /// Inputs that would crash a careless implementation are errors: absurd dates, ranges and
    /// repetitions, deep recursion.
    func testHostileInputsAreErrors() throws {
        let bad: [(String, TemplateDate, TemplateError.Kind)] = [
            ("{{ strftime_now('%b') }}", TemplateDate(year: 2026, month: 13, day: 1), .type),
            ("{{ range(-9223372036854775807, 9223372036854775807)|length }}", date, .security),
            ("{{ 'ab' * 9223372036854775807 }}", date, .unsupported),
            ("{{ [1] * 1000000000 }}", date, .unsupported),
            ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", date, .unsupported),
            ("{{ 2 ** 63 }}", date, .unsupported),
        ]
        for (source, when, kind) in bad {
            XCTAssertThrowsError(try ChatTemplate(source: source, name: "h").render(messages: [], date: when), source) { error in
                XCTAssertEqual((error as? TemplateError)?.kind, kind, "\(source): \(error)")
            }
        }
    }

    func testParseOnceRenderManyAcrossThreads() throws {
        let source = try fixtureText("templates/qwen2.5.jinja")
        let t = try ChatTemplate(source: source, name: "qwen2.5")
        let conversations: [[JSONValue]] = (0..<8).map { k in
            [message("system", "sys \(k)"), message("user", "q\(k) 😀"), message("assistant", "a\(k)"), message("user", "again")]
        }
        let serial = try conversations.map { try t.render(messages: $0, addGenerationPrompt: true, date: date) }
        let results = UnsafeMutableBufferPointer<String>.allocate(capacity: conversations.count)
        results.initialize(repeating: "")
        defer { results.deallocate() }
        let failures = UnsafeMutableBufferPointer<Bool>.allocate(capacity: conversations.count)
        failures.initialize(repeating: false)
        defer { failures.deallocate() }
        // Iteration k writes only slot k of each buffer; both are read after every iteration has finished.
        nonisolated(unsafe) let resultSlots = results, failureSlots = failures
        let renderDate = date
        DispatchQueue.concurrentPerform(iterations: conversations.count) { k in
            do { resultSlots[k] = try t.render(messages: conversations[k], addGenerationPrompt: true, date: renderDate) } catch { failureSlots[k] = true }
        }
        XCTAssertFalse(failures.contains(true))
        XCTAssertEqual(Array(results), serial)
        XCTAssertTrue(serial[3].hasPrefix("<|im_start|>system\nsys 3<|im_end|>\n<|im_start|>user\nq3 😀<|im_end|>\n"))
    }

    /// Rendering must stay far below the cost of one forward pass: a 12-message conversation
    /// through the Llama 3.2 template (the largest here). The bound is loose on purpose (shared,
    /// noisy machines, debug builds); the measured time is printed.
    func testRenderingIsFast() throws {
        let t = try ChatTemplate(source: try fixtureText("templates/llama-3.2.jinja"), name: "llama-3.2")
        var messages = [message("system", "You are a helpful assistant.")]
        for k in 0..<6 { messages += [message("user", "Question \(k)? " + String(repeating: "word ", count: 40)), message("assistant", "Answer \(k).")] }
        let n = 200
        let start = DispatchTime.now().uptimeNanoseconds
        var total = 0
        for _ in 0..<n { total += try t.render(messages: messages, addGenerationPrompt: true, date: date).utf8.count }
        let perRender = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(n) / 1e6
        print(String(format: "llama-3.2 template, 13 messages: %.3f ms per render (%d bytes)", perRender, total / n))
        XCTAssertLessThan(perRender, 20, "rendering should take well under a millisecond in release builds")
    }
}
