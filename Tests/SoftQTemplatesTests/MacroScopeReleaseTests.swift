@testable import SoftQTemplates
import XCTest

/// A macro keeps the scope it was defined in, and that scope holds the macro: a reference cycle
/// that leaked every render of a template defining a macro (about 3 KB per render, found by
/// FuzzChatTemplate; `Fuzz/findings/fixed/macro-scope-cycle.jinja`). `ChatTemplate.run` releases
/// the scopes when rendering ends, as this test does.
final class MacroScopeReleaseTests: XCTestCase {
    func testScopesHoldingMacrosAreFreedAfterRendering() throws {
        let template = try ChatTemplate(source: "{% macro m(x) %}<{{ x }}>{% endmacro %}{% for i in [1, 2] %}{% macro n() %}{{ m(i) }}{% endmacro %}{{ n() }}{% endfor %}")
        weak var outer: Scope?
        weak var inner: Macro?
        var out = ""
        do {
            let context = Scope(parent: nil)
            context.variables = Globals.all
            let scope = Scope(parent: context)
            outer = scope
            let evaluator = Evaluator(name: "t", date: TemplateDate(year: 2026, month: 11, day: 30))
            try evaluator.render(template.body, scope, into: &out)
            if case .macro(let m)? = scope.variables["m"] { inner = m }
            XCTAssertNotNil(inner)
            evaluator.releaseMacroScopes()
        }
        XCTAssertEqual(out, "<1><2>")
        XCTAssertNil(outer, "the scope that defined a macro outlives the render")
        XCTAssertNil(inner, "the macro outlives the render")
    }
}
