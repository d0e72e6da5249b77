import Foundation
import SoftQBase
import SoftQTemplates

/// A chat template rendered by SoftQTemplates, with the run's special-token strings and its
/// fixed template date (`strftime_now`). Messages are prepared as transformers 5's
/// `apply_chat_template` prepares them (null-valued keys dropped, reasoning fields copied), so
/// a rendering equals what transformers gives for the same conversation.
struct TemplateRenderer: ChatRenderer {
    let template: ChatTemplate
    let specialTokens: [String: String]
    let date: TemplateDate

    init(source: String, name: String, specialTokens: [String: String], date: Date) throws {
        template = try ChatTemplate(source: source, name: name)
        self.specialTokens = specialTokens
        self.date = TemplateDate(date)
    }

    func render(messages: [JSONValue], addGenerationPrompt: Bool) throws -> String {
        try template.render(messages: ChatTemplate.transformersPreparedMessages(messages), addGenerationPrompt: addGenerationPrompt,
                            specialTokens: specialTokens, date: date)
    }
}
