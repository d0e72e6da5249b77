import Foundation
import SoftQBase
import SoftQTokenizers

/// Renders a conversation to text with a chat template (the Jinja work is SoftQTemplates').
public protocol ChatRenderer: Sendable {
    /// The rendered string of `messages`; with `addGenerationPrompt`, the text that opens the
    /// next assistant turn is appended.
    func render(messages: [JSONValue], addGenerationPrompt: Bool) throws -> String
}

/// `--chat-template`: which records go through a chat template.
public enum ChatTemplateMode: Sendable, Equatable {
    /// Conversational records use the template; text records are tokenized as before.
    case auto
    /// No template: conversational records are errors.
    case none
    /// Text records too: a text prompt becomes one user turn, a response one assistant turn.
    case always
}

/// A chat template in use by a run: the renderer, where it came from, and how records use it.
public struct ChatFormat: Sendable {
    public var renderer: any ChatRenderer
    /// `checkpoint`, `checkpoint:NAME` or the template file as given.
    public var source: String
    public var sha256: String
    public var mode: ChatTemplateMode
    /// The date `strftime_now` returns, as recorded in the run's options.
    public var date: String

    public init(renderer: any ChatRenderer, source: String, sha256: String, mode: ChatTemplateMode, date: String) {
        self.renderer = renderer
        self.source = source
        self.sha256 = sha256
        self.mode = mode
        self.date = date
    }

    /// The token that closes an assistant turn: render a probe conversation with and without its
    /// assistant turn, and take the first special token after the assistant's text.
    public func endOfTurn(tokenizer: Tokenizer) throws -> Int? {
        let marker = "softq-probe-answer"
        let user: JSONValue = .object([("role", .string("user")), ("content", .string("softq-probe-question"))])
        let assistant: JSONValue = .object([("role", .string("assistant")), ("content", .string(marker))])
        let full = try renderer.render(messages: [user, assistant], addGenerationPrompt: false)
        guard let r = full.range(of: marker, options: .backwards) else { return nil }
        let closing = String(full[r.upperBound...])
        return tokenizer.encode(closing, addSpecialTokens: false).first(where: { tokenizer.isSpecial($0) })
    }

    /// The rendered prompt (with the generation prompt) and each response: the rendered
    /// (prompt + assistant turn) after the rendered prompt. A rendering that does not start
    /// with the rendered prompt cannot be split and is an error.
    public func render(prompt: [JSONValue], responses: [[JSONValue]]) throws -> (prompt: String, responses: [String]) {
        let p = try renderer.render(messages: prompt, addGenerationPrompt: true)
        var out: [String] = []
        for r in responses {
            let full = try renderer.render(messages: prompt + r, addGenerationPrompt: false)
            // Byte comparison: String.hasPrefix compares characters up to canonical equivalence.
            let pu = Array(p.utf8), fu = Array(full.utf8)
            guard fu.count >= pu.count, fu[0..<pu.count].elementsEqual(pu) else {
                throw ChatFormatError.notAPrefix(prompt: String(p.suffix(60)), full: String(full.prefix(p.count + 20).suffix(80)))
            }
            out.append(String(decoding: fu[pu.count...], as: UTF8.self))
        }
        return (p, out)
    }

    /// `options.chat_template` in summary.json.
    public var json: JSONValue {
        .object([("source", .string(source)), ("sha256", .string(sha256)),
                 ("mode", .string(mode == .always ? "always" : "auto")), ("date", .string(date))])
    }
}

public enum ChatFormatError: Error, CustomStringConvertible {
    case notAPrefix(prompt: String, full: String)

    public var description: String {
        switch self {
        case let .notAPrefix(p, f):
            return "the rendered conversation does not start with the rendered prompt (the template renders the prompt differently once an assistant turn follows): prompt ends \(p.debugDescription), conversation reads \(f.debugDescription) there"
        }
    }
}

/// A conversation to token ids as transformers' `apply_chat_template(messages, tokenize=True)`
/// gives them: the whole rendered string, tokenized without added special tokens
/// (`softq tokenize --chat`).
public struct ChatTokenizer: Sendable {
    public let tokenizer: Tokenizer
    let renderer: any ChatRenderer

    /// `template` is the Jinja source; `specialTokens` the strings it sees as `bos_token`, …
    public init(template: String, name: String, tokenizer: Tokenizer, specialTokens: [String: String], date: Date) throws {
        self.tokenizer = tokenizer
        renderer = try TemplateRenderer(source: template, name: name, specialTokens: specialTokens, date: date)
    }

    public func render(messages: [JSONValue], addGenerationPrompt: Bool) throws -> String {
        try renderer.render(messages: messages, addGenerationPrompt: addGenerationPrompt)
    }

    public func ids(messages: [JSONValue], addGenerationPrompt: Bool) throws -> [Int] {
        tokenizer.encode(try render(messages: messages, addGenerationPrompt: addGenerationPrompt), addSpecialTokens: false)
    }
}
