import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQTokenizers

/// `--chat-template`: auto (the checkpoint's template for conversational lines), none, always
/// (text lines too), a template file, or `name:NAME` (the checkpoint's `chat_template.NAME.jinja`).
public enum ChatTemplateChoice: Sendable, Equatable, CustomStringConvertible {
    case auto, none, always
    case file(String)
    case named(String)

    public init(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "none": self = .none
        case "always": self = .always
        default:
            if argument.hasPrefix("name:") { self = .named(String(argument.dropFirst(5))) } else { self = .file(argument) }
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .none: return "none"
        case .always: return "always"
        case .file(let f): return f
        case .named(let n): return "name:\(n)"
        }
    }
}

/// How a command wants its records tokenized: the options every text-reading command shares.
public struct TokenizationSettings: Sendable {
    public var appendEOS: Bool
    public var special: SpecialTokenOptions
    public var chatTemplate: ChatTemplateChoice
    /// `--template-date` (YYYY-MM-DD); nil: `SOURCE_DATE_EPOCH` when set, else today (UTC).
    public var templateDate: String?

    public init(appendEOS: Bool = true, special: SpecialTokenOptions = SpecialTokenOptions(),
                chatTemplate: ChatTemplateChoice = .auto, templateDate: String? = nil) {
        self.appendEOS = appendEOS
        self.special = special
        self.chatTemplate = chatTemplate
        self.templateDate = templateDate
    }

    /// The date `strftime_now` renders (docs/spec/conventions.md, "Chat templates").
    public func resolvedTemplateDate(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     now: Date = Date()) throws -> (text: String, date: Date) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let date: Date
        if let t = templateDate {
            let parts = t.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, t.count == 10,
                  let d = cal.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                  cal.component(.month, from: d) == parts[1], cal.component(.day, from: d) == parts[2] else {
                throw TokenizationSetupError.badDate(t)
            }
            date = d
        } else if let e = environment["SOURCE_DATE_EPOCH"], let secs = Double(e), secs.isFinite {
            date = cal.startOfDay(for: Date(timeIntervalSince1970: secs))
        } else {
            date = cal.startOfDay(for: now)
        }
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return (String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!), date)
    }
}

public enum TokenizationSetupError: Error, CustomStringConvertible {
    case badDate(String)
    case noTemplate(checkpoint: String, wanted: String)
    case templateFile(path: String, detail: String)
    case template(source: String, detail: String)

    public var description: String {
        switch self {
        case .badDate(let d): return "--template-date: expected a date as YYYY-MM-DD, got \(d.debugDescription)"
        case let .noTemplate(c, w): return "\(c): the checkpoint has no chat template \(w) (convert the model with Scripts/convert.py to embed it, or pass --chat-template FILE)"
        case let .templateFile(p, d): return "\(p): cannot read the chat template: \(d)"
        case let .template(s, d): return "chat template \(s): \(d)"
        }
    }
}

extension PairRecord {
    /// Whether the line was given as messages.
    public var isConversational: Bool { if case .conversation = content { return true }; return false }
}

extension ResponseRecord {
    public var isConversational: Bool { if case .conversation = content { return true }; return false }
}

extension LoadedPolicy {
    /// The chat template `choice` selects for this run, or nil when no record needs one.
    /// `conversational` says whether any input record is given as messages.
    public func chatFormat(_ settings: TokenizationSettings, conversational: Bool,
                           fallback: SpecialTokens? = nil) throws -> ChatFormat? {
        let choice = settings.chatTemplate
        let needed: Bool
        switch choice {
        case .none: return nil
        case .always: needed = true
        case .auto, .file, .named: needed = conversational
        }
        guard needed else { return nil }
        let templates = try checkpoint.chatTemplates()
        let text: String, source: String
        switch choice {
        case .file(let p):
            guard let d = FileManager.default.contents(atPath: p) else { throw TokenizationSetupError.templateFile(path: p, detail: "missing or unreadable") }
            guard let s = String(data: d, encoding: .utf8) else { throw TokenizationSetupError.templateFile(path: p, detail: "not valid UTF-8") }
            (text, source) = (s, p)
        case .named(let n):
            guard let s = templates[n] else {
                throw TokenizationSetupError.noTemplate(checkpoint: path, wanted: "named \(n.debugDescription) (it has: \(templates.keys.sorted().map { $0.isEmpty ? "the default" : $0 }.joined(separator: ", ")))")
            }
            (text, source) = (s, "checkpoint:\(n)")
        default:
            guard let s = templates[""] else {
                // Conversational lines then fail one by one, naming their line (and --skip-invalid can skip them).
                if choice == .auto { return nil }
                throw TokenizationSetupError.noTemplate(checkpoint: path, wanted: "(needed by --chat-template always)")
            }
            (text, source) = (s, "checkpoint")
        }
        let date = try settings.resolvedTemplateDate()
        let renderer: any ChatRenderer
        do {
            renderer = try TemplateRenderer(source: text, name: source, specialTokens: templateSpecialTokens(fallback: fallback), date: date.date)
        } catch {
            throw TokenizationSetupError.template(source: source, detail: "\(error)")
        }
        return ChatFormat(renderer: renderer, source: source, sha256: FileHash.sha256(data: Data(text.utf8)),
                          mode: choice == .always ? .always : .auto, date: date.text)
    }

    /// The special-token strings a template sees (`bos_token`, `eos_token`, …), as transformers
    /// passes them: the tokenizer config's names; BOS and EOS fall back on the resolved ids' text
    /// (a checkpoint converted from GGUF may carry no tokenizer config).
    func templateSpecialTokens(fallback: SpecialTokens?) -> [String: String] {
        LoadedPolicy.templateSpecialTokens(tokenizerConfig: tokenizerConfig, fallback: fallback)
    }

    public static func templateSpecialTokens(tokenizerConfig: JSONValue?, fallback: SpecialTokens?) -> [String: String] {
        var out: [String: String] = [:]
        for key in ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"] {
            switch tokenizerConfig?[key] {
            case .string(let s)?: out[key] = s
            case let o? where o["content"]?.stringValue != nil: out[key] = o["content"]!.stringValue!
            default: break
            }
        }
        if out["bos_token"] == nil, let f = fallback, let b = f.bosID, let t = f.texts[b] { out["bos_token"] = t }
        if out["eos_token"] == nil, let f = fallback, let e = f.appendedEOS, let t = f.texts[e] { out["eos_token"] = t }
        return out
    }

    /// The tokenization of text and token-id records with the default settings (special tokens
    /// from the checkpoint, no chat template).
    public func tokenizationPolicy(appendEOS: Bool, inputPath: String) throws -> TokenizationPolicy {
        try tokenization(TokenizationSettings(appendEOS: appendEOS), inputPath: inputPath, conversational: false)
    }

    /// The tokenization every command uses: special tokens resolved (with the template's end of
    /// turn when a template is in use) and the chat template attached.
    public func tokenization(_ settings: TokenizationSettings, inputPath: String, conversational: Bool) throws -> TokenizationPolicy {
        let base = try specialTokens(settings.special)
        let chat = try chatFormat(settings, conversational: conversational, fallback: base)
        guard chat != nil else {
            return tokenizationPolicy(appendEOS: settings.appendEOS, inputPath: inputPath, special: base, chat: nil)
        }
        var eot: Int? = nil
        if let chat, let tokenizer {
            do { eot = try chat.endOfTurn(tokenizer: tokenizer) } catch {
                throw TokenizationSetupError.template(source: chat.source, detail: "rendering a probe conversation to find the end-of-turn token: \(error)")
            }
        }
        var special = try specialTokens(settings.special, chatEndOfTurn: eot)
        if let chat, eot == nil {
            special.warnings.append("the chat template \(chat.source) closes an assistant turn with no special token; templated responses end at the model's EOS ids only")
        }
        return tokenizationPolicy(appendEOS: settings.appendEOS, inputPath: inputPath, special: special, chat: chat)
    }
}

extension LoadedPolicy {
    /// The end-of-turn token of a template, for `softq inspect` (which may run where the weights
    /// do not bind, so it cannot build a LoadedPolicy).
    public static func templateProbe(source: String, name: String, tokenizerConfig: JSONValue?, special: SpecialTokens,
                                     tokenizer: Tokenizer) throws -> Int? {
        let date = try TokenizationSettings().resolvedTemplateDate()
        let strings = templateSpecialTokens(tokenizerConfig: tokenizerConfig, fallback: special)
        let renderer = try TemplateRenderer(source: source, name: name, specialTokens: strings, date: date.date)
        return try ChatFormat(renderer: renderer, source: name, sha256: "", mode: .auto, date: date.text).endOfTurn(tokenizer: tokenizer)
    }
}
