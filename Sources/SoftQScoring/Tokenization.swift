import SoftQTokenizers

/// Token ids of one response under its prompt, ready to score.
public struct PreparedResponse: Sendable, Equatable {
    public var ids: [Int]
    /// Whether the last id is the model's EOS (decides terminality under `--terminal eos`).
    public var endsWithEOS: Bool
}

/// A pair with its prompt tokenized once and both responses tokenized separately, so the
/// prompt's tokens are identical for both (docs/spec/conventions.md, "Preference pairs").
public struct PreparedPair: Sendable, Equatable {
    public var record: PairRecord
    public var prompt: [Int]
    public var chosen: PreparedResponse
    public var rejected: PreparedResponse
}

public struct PreparedSingle: Sendable, Equatable {
    public var record: ResponseRecord
    public var prompt: [Int]
    public var response: PreparedResponse
}

/// How text becomes token ids (the conventions' BOS-once and EOS-appending rules).
public struct TokenizationPolicy: Sendable {
    public var tokenizer: Tokenizer?
    /// Append the EOS id to every text response (RewardBench's convention); off with --no-append-eos.
    public var appendEOS: Bool
    public var bosID: Int?
    public var eosID: Int?
    /// Whether prompts start with BOS (when the tokenizer's post-processor adds one).
    public var addBOS: Bool
    public var vocabularySize: Int
    public var contextLength: Int
    public var inputPath: String

    public init(tokenizer: Tokenizer?, appendEOS: Bool, bosID: Int?, eosID: Int?, addBOS: Bool,
                vocabularySize: Int, contextLength: Int, inputPath: String) {
        self.tokenizer = tokenizer
        self.appendEOS = appendEOS
        self.bosID = bosID
        self.eosID = eosID
        self.addBOS = addBOS
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.inputPath = inputPath
    }

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
                throw fail(line, field, "cannot append EOS: neither the tokenizer nor the model config names an EOS token (use --no-append-eos)")
            }
            if ids.last != eos { ids.append(eos) }
        }
        if ids.isEmpty { throw fail(line, field, "the response tokenizes to no tokens") }
        return PreparedResponse(ids: ids, endsWithEOS: eosID.map { ids.last == $0 } ?? false)
    }

    func verbatim(_ ids: [Int]) -> PreparedResponse {
        PreparedResponse(ids: ids, endsWithEOS: eosID.map { ids.last == $0 } ?? false)
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
        switch record.content {
        case let .text(prompt, chosen, rejected):
            promptField = record.fromTranscript ? "chosen" : "prompt"
            p = try promptIDs(prompt, line: record.line)
            c = try responseIDs(chosen, line: record.line, field: "chosen")
            r = try responseIDs(rejected, line: record.line, field: "rejected")
        case let .ids(prompt, chosen, rejected):
            promptField = "prompt_ids"
            p = prompt
            c = verbatim(chosen)
            r = verbatim(rejected)
        }
        let names = record.content.isIDs ? ("chosen_ids", "rejected_ids") : ("chosen", "rejected")
        try check(p, [(names.0, c), (names.1, r)], line: record.line, promptField: promptField)
        return PreparedPair(record: record, prompt: p, chosen: c, rejected: r)
    }

    /// The prompt ids of a prompt-only record (`softq sample`).
    public func promptOnly(_ record: ResponseRecord) throws -> [Int] {
        let p: [Int]
        switch record.content {
        case .text(let prompt, _): p = try promptIDs(prompt, line: record.line)
        case .ids(let prompt, _): p = prompt
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
        case let .text(prompt, response):
            p = try promptIDs(prompt, line: record.line)
            r = try responseIDs(response, line: record.line, field: "response")
        case let .ids(prompt, response):
            names = ("prompt_ids", "response_ids")
            p = prompt
            r = verbatim(response)
        }
        try check(p, [(names.1, r)], line: record.line, promptField: names.0)
        return PreparedSingle(record: record, prompt: p, response: r)
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
