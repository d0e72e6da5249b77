import Foundation
import SoftQBase

// TEMPORARY until SoftQTemplates lands (not committed).
struct TemplateRenderer: ChatRenderer {
    init(source: String, name: String, specialTokens: [String: String], date: Date) throws {
        throw TokenizationSetupError.template(source: name, detail: "not yet")
    }
    func render(messages: [JSONValue], addGenerationPrompt: Bool) throws -> String { "" }
}
