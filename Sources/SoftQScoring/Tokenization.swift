import SoftQBase
import SoftQTokenizers

/// Token ids of one response under its prompt, ready to score.
public struct PreparedResponse: Sendable, Equatable {
    public var ids: [Int]
    /// Whether the last id is in the model's end-of-episode set (terminality under `--terminal eos`).
    public var endsWithEOS: Bool
}

/// A pair with its prompt tokenized once and both responses tokenized separately, so the
/// prompt's tokens are identical for both (docs/spec/conventions.md, "Preference pairs").
public struct PreparedPair: Sendable, Equatable {
    public var record: PairRecord
    public var prompt: [Int]
    public var chosen: PreparedResponse
    public var rejected: PreparedResponse
    /// Responses whose separate tokenization (prompt, then response) differs from tokenizing the
    /// whole rendered conversation at once (conversational records; counted in summary.json).
    public var boundaryChanges: Int = 0
}

public struct PreparedSingle: Sendable, Equatable {
    public var record: ResponseRecord
    public var prompt: [Int]
    public var response: PreparedResponse
}

/// How records become token ids: the conventions' BOS-once and EOS-appending rules, the
/// model's end-of-episode set, and chat templates for conversations. Every command that reads
/// text (score, extract, rewards, sample, robustness, correlate, analyze, train) goes through it.
public struct TokenizationPolicy: Sendable {
    public var tokenizer: Tokenizer?
    /// Append the EOS id to every text response (RewardBench's convention); off with --no-append-eos.
    /// Templated responses end with the template's own end of turn and ignore it.
    public var appendEOS: Bool
    public var special: SpecialTokens
    public var chat: ChatFormat?
    public var vocabularySize: Int
    public var contextLength: Int
    public var inputPath: String

    public init(tokenizer: Tokenizer?, appendEOS: Bool, special: SpecialTokens, chat: ChatFormat? = nil,
                vocabularySize: Int, contextLength: Int, inputPath: String) {
        self.tokenizer = tokenizer
        self.appendEOS = appendEOS
        self.special = special
        self.chat = chat
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.inputPath = inputPath
    }

    public var bosID: Int? { special.bosID }
    /// The EOS appended to text responses.
    public var eosID: Int? { special.appendedEOS }
    public var addBOS: Bool { special.addBOS }

    func fail(_ line: Int, _ field: String?, _ message: String) -> InputError {
        InputError(file: inputPath, line: line, field: field, message: message)
    }

    func promptIDs(_ text: String, line: Int) throws -> [Int] {
        guard let tok = tokenizer else {
            throw fail(line, "prompt", "text input needs a tokenizer: the checkpoint embeds none; pass --tokenizer FILE or give prompt_ids/chosen_ids/rejected_ids")
        }
        var ids = tok.encode(text, addSpecialTokens: false)
        // BOS exactly once: added only when the tokenizer adds one and the text did not start with it.
        if addBOS, let bos = bosID, ids.first != bos { ids.insert(bos, at: 0) }
        if ids.isEmpty {
            throw fail(line, "prompt", "empty prompt and the tokenizer adds no BOS: there is no state to score the first response token from")
        }
        return ids
    }

    func responseIDs(_ text: String, line: Int, field: String) throws -> PreparedResponse {
        guard let tok = tokenizer else { throw fail(line, field, "text input needs a tokenizer") }
        var ids = tok.encode(text, addSpecialTokens: false)
        if appendEOS {
            guard let eos = eosID else {
                throw fail(line, field, "cannot append EOS: no config, generation config or tokenizer file names an EOS token (pass --eos-token, or --no-append-eos)")
            }
            if ids.last != eos { ids.append(eos) }
        }
        if ids.isEmpty { throw fail(line, field, "the response tokenizes to no tokens") }
        return PreparedResponse(ids: ids, endsWithEOS: special.endsEpisode(ids.last))
    }

    func verbatim(_ ids: [Int]) -> PreparedResponse {
        PreparedResponse(ids: ids, endsWithEOS: special.endsEpisode(ids.last))
    }

    /// Renders a conversation and tokenizes its parts separately (the conventions' rule): the
    /// prompt with the generation prompt, each response as the text its turns add, cut after the
    /// first end-of-episode token (terminal there). `boundaryChanges` counts responses whose
    /// separate tokenization differs from tokenizing the whole rendered string.
    func conversation(prompt: [JSONValue], responses: [(String, [JSONValue])], line: Int, promptField: String)
        throws -> (prompt: [Int], responses: [PreparedResponse], boundaryChanges: Int) {
        guard let chat, chat.mode != .none else {
            throw fail(line, promptField, "a conversational line needs a chat template: the checkpoint has none, or --chat-template none was given (pass --chat-template FILE)")
        }
        guard let tok = tokenizer else { throw fail(line, promptField, "conversations need a tokenizer") }
        let rendered: (prompt: String, responses: [String])
        do { rendered = try chat.render(prompt: prompt, responses: responses.map(\.1)) } catch {
            throw fail(line, promptField, "chat template \(chat.source): \(error)")
        }
        let p = tok.encode(rendered.prompt, addSpecialTokens: false)
        if p.isEmpty { throw fail(line, promptField, "the rendered prompt has no tokens") }
        var out: [PreparedResponse] = []
        var changes = 0
        for ((field, _), text) in zip(responses, rendered.responses) {
            let whole = tok.encode(text, addSpecialTokens: false)
            if tok.encode(rendered.prompt + text, addSpecialTokens: false) != p + whole { changes += 1 }
            var ids = whole
            if let cut = whole.firstIndex(where: { special.endsEpisode($0) }) { ids = Array(whole[...cut]) }
            if ids.isEmpty { throw fail(line, field, "the rendered response has no tokens") }
            out.append(PreparedResponse(ids: ids, endsWithEOS: special.endsEpisode(ids.last)))
        }
        return (p, out, changes)
    }

    static func turn(_ role: String, _ text: String) -> JSONValue {
        .object([("role", .string(role)), ("content", .string(text))])
    }

    func check(_ prompt: [Int], _ responses: [(String, PreparedResponse)], line: Int, promptField: String) throws {
        for (field, ids) in [(promptField, prompt)] + responses.map({ ($0.0, $0.1.ids) }) {
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw fail(line, field, "token id \(bad) is out of the model's vocabulary (0..<\(vocabularySize))")
            }
        }
        for (field, r) in responses where prompt.count + r.ids.count > contextLength {
            throw fail(line, field, "prompt (\(prompt.count) tokens) + response (\(r.ids.count) tokens) = \(prompt.count + r.ids.count) tokens exceeds the model's context of \(contextLength); softq does not truncate")
        }
    }

    public func prepare(_ record: PairRecord) throws -> PreparedPair {
        let p: [Int], c: PreparedResponse, r: PreparedResponse
        let promptField: String
        var changes = 0
        switch record.content {
        case let .text(prompt, chosen, rejected) where chat?.mode == .always:
            promptField = record.fromTranscript ? "chosen" : "prompt"
            let t = try conversation(prompt: [Self.turn("user", prompt)],
                                     responses: [("chosen", [Self.turn("assistant", chosen)]), ("rejected", [Self.turn("assistant", rejected)])],
                                     line: record.line, promptField: promptField)
            (p, c, r, changes) = (t.prompt, t.responses[0], t.responses[1], t.boundaryChanges)
        case let .text(prompt, chosen, rejected):
            promptField = record.fromTranscript ? "chosen" : "prompt"
            p = try promptIDs(prompt, line: record.line)
            c = try responseIDs(chosen, line: record.line, field: "chosen")
            r = try responseIDs(rejected, line: record.line, field: "rejected")
        case let .conversation(prompt, chosen, rejected):
            promptField = "prompt"
            let t = try conversation(prompt: prompt, responses: [("chosen", chosen), ("rejected", rejected)],
                                     line: record.line, promptField: promptField)
            (p, c, r, changes) = (t.prompt, t.responses[0], t.responses[1], t.boundaryChanges)
        case let .ids(prompt, chosen, rejected):
            promptField = "prompt_ids"
            p = prompt
            c = verbatim(chosen)
            r = verbatim(rejected)
        }
        let names = record.content.isIDs ? ("chosen_ids", "rejected_ids") : ("chosen", "rejected")
        try check(p, [(names.0, c), (names.1, r)], line: record.line, promptField: promptField)
        return PreparedPair(record: record, prompt: p, chosen: c, rejected: r, boundaryChanges: changes)
    }

    /// The prompt ids of a prompt-only record (`softq sample`).
    public func promptOnly(_ record: ResponseRecord) throws -> [Int] {
        let p: [Int]
        switch record.content {
        case .text(let prompt, _) where chat?.mode == .always:
            p = try templatedPrompt([Self.turn("user", prompt)], line: record.line)
        case .text(let prompt, _): p = try promptIDs(prompt, line: record.line)
        case .ids(let prompt, _): p = prompt
        case .conversation(let prompt, _): p = try templatedPrompt(prompt, line: record.line)
        }
        if p.isEmpty { throw fail(record.line, "prompt_ids", "empty: a prompt needs at least one token (e.g. BOS)") }
        if let bad = p.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw fail(record.line, "prompt", "token id \(bad) is out of the model's vocabulary (0..<\(vocabularySize))")
        }
        if p.count >= contextLength {
            throw fail(record.line, "prompt", "the prompt has \(p.count) tokens; the model's context of \(contextLength) leaves no room to generate")
        }
        return p
    }

    public func prepare(_ record: ResponseRecord) throws -> PreparedSingle {
        let p: [Int], r: PreparedResponse
        var names = ("prompt", "response")
        switch record.content {
        case let .text(prompt, response) where chat?.mode == .always:
            let t = try conversation(prompt: [Self.turn("user", prompt)], responses: [("response", [Self.turn("assistant", response)])],
                                     line: record.line, promptField: "prompt")
            (p, r) = (t.prompt, t.responses[0])
        case let .text(prompt, response):
            p = try promptIDs(prompt, line: record.line)
            r = try responseIDs(response, line: record.line, field: "response")
        case let .conversation(prompt, response):
            let t = try conversation(prompt: prompt, responses: [("response", response)], line: record.line, promptField: "prompt")
            (p, r) = (t.prompt, t.responses[0])
        case let .ids(prompt, response):
            names = ("prompt_ids", "response_ids")
            p = prompt
            r = verbatim(response)
        }
        try check(p, [(names.1, r)], line: record.line, promptField: names.0)
        return PreparedSingle(record: record, prompt: p, response: r)
    }
}

extension TokenizationPolicy {
    /// A conversation's prompt rendered with the generation prompt (`softq sample`).
    func templatedPrompt(_ prompt: [JSONValue], line: Int) throws -> [Int] {
        guard let chat, chat.mode != .none else {
            throw fail(line, "prompt", "a conversational line needs a chat template: the checkpoint has none, or --chat-template none was given (pass --chat-template FILE)")
        }
        guard let tok = tokenizer else { throw fail(line, "prompt", "conversations need a tokenizer") }
        do {
            return tok.encode(try chat.renderer.render(messages: prompt, addGenerationPrompt: true), addSpecialTokens: false)
        } catch {
            throw fail(line, "prompt", "chat template \(chat.source): \(error)")
        }
    }
}

extension PairRecord.Content {
    var isIDs: Bool { if case .ids = self { return true }; return false }
}

extension TokenizationPolicy {
    /// Prepares records in order, up to `limit` valid ones. With `skipInvalid`, a record that
    /// cannot be prepared is added to `skipped` (never dropped silently); otherwise it throws.
    public func prepareAll<Record, Prepared>(_ records: [Record], skipInvalid: Bool, limit: Int?,
                                             skipped: inout [InputError],
                                             _ prepare: (Record) throws -> Prepared) throws -> [Prepared] {
        var out: [Prepared] = []
        for r in records {
            do { out.append(try prepare(r)) } catch let e as InputError {
                if skipInvalid { skipped.append(e) } else { throw e }
            }
            if let limit, out.count >= limit { break }
        }
        return out
    }
}
