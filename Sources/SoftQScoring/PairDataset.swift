import Foundation
import SoftQBase

/// One preference pair as read from a JSONL line, before tokenization (docs/spec/outputs.md, "Inputs").
public struct PairRecord: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// `prompt`, `chosen`, `rejected` as text.
        case text(prompt: String, chosen: String, rejected: String)
        /// `prompt_ids`, `chosen_ids`, `rejected_ids`, used verbatim (no BOS added, no EOS appended).
        case ids(prompt: [Int], chosen: [Int], rejected: [Int])
        /// Messages (`{"role", "content"}`): the prompt's turns and each response's turns,
        /// rendered with the chat template (TRL's conversational format, or full conversations
        /// split at their shared prefix).
        case conversation(prompt: [JSONValue], chosen: [JSONValue], rejected: [JSONValue])
    }
    /// 1-based line number in the input file.
    public var line: Int
    public var id: String
    public var subset: String
    public var content: Content
    /// True when the prompt was recovered from full transcripts (HH-RLHF style).
    public var fromTranscript: Bool

    public init(line: Int, id: String, subset: String, content: Content, fromTranscript: Bool = false) {
        self.line = line
        self.id = id
        self.subset = subset
        self.content = content
        self.fromTranscript = fromTranscript
    }
}

/// One response to score on its own (`softq extract`): `prompt` + `response`, or ids.
public struct ResponseRecord: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case text(prompt: String, response: String)
        case ids(prompt: [Int], response: [Int])
        case conversation(prompt: [JSONValue], response: [JSONValue])
    }
    public var line: Int
    public var id: String
    public var content: Content

    public init(line: Int, id: String, content: Content) {
        self.line = line
        self.id = id
        self.content = content
    }
}

/// An input line that could not be read, with where and why.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int
    public let field: String?
    public let message: String

    public init(file: String, line: Int, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file):\(line)" + (field.map { ": field '\($0)'" } ?? "") + ": \(message)"
    }
}

/// Reads JSONL inputs. Each line is detected on its own, so files may mix shapes.
public enum InputReader {
    /// The turn markers a transcript's prompt is cut back to, tried in order; the prompt keeps
    /// the marker, so the response starts right after it.
    public static let turnMarkers = ["\n\nAssistant:", "<|im_start|>assistant\n", "<|assistant|>\n", "<|assistant|>", "[/INST]"]

    /// Parses every non-blank line. With `skipInvalid`, bad lines are returned in `skipped`
    /// instead of thrown (never dropped silently).
    public static func readPairs(path: String, skipInvalid: Bool) throws -> (pairs: [PairRecord], skipped: [InputError]) {
        var pairs: [PairRecord] = []
        var skipped: [InputError] = []
        var ids = Set<String>()
        for (lineNo, line) in try lines(path) {
            do {
                let rec = try parsePair(try line.get(), line: lineNo, file: path)
                if !ids.insert(rec.id).inserted {
                    throw InputError(file: path, line: lineNo, field: "id", message: "duplicate id '\(rec.id)'")
                }
                pairs.append(rec)
            } catch let e as InputError {
                if skipInvalid { skipped.append(e) } else { throw e }
            }
        }
        return (pairs, skipped)
    }

    /// Reads single responses (`softq extract`); with `promptsOnly`, lines need only a prompt
    /// (`softq sample`) and the response is left empty.
    public static func readResponses(path: String, skipInvalid: Bool, promptsOnly: Bool = false) throws -> (responses: [ResponseRecord], skipped: [InputError]) {
        var out: [ResponseRecord] = []
        var skipped: [InputError] = []
        for (lineNo, line) in try lines(path) {
            do { out.append(try parseResponse(try line.get(), line: lineNo, file: path, promptOnly: promptsOnly)) } catch let e as InputError {
                if skipInvalid { skipped.append(e) } else { throw e }
            }
        }
        return (out, skipped)
    }

    /// `{"messages": [...]}` lines (`softq tokenize --chat`): (line number, messages). `path` may
    /// be `/dev/stdin`.
    public static func readConversations(path: String) throws -> [(line: Int, messages: [JSONValue])] {
        try lines(path).map { n, line in
            let v = try object(try line.get(), line: n, file: path)
            return (n, try messages(v, "messages", line: n, file: path))
        }
    }

    /// The lines of a JSONL file, each decoded on its own: (line number, text, or the error of a
    /// line that is not UTF-8). Lines end in `\n` or `\r\n`; a leading byte-order mark is
    /// ignored; blank lines are skipped.
    static func lines(_ path: String) throws -> [(Int, Result<String, InputError>)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, line: 0, message: "cannot read the file (missing or unreadable)")
        }
        var out: [(Int, Result<String, InputError>)] = []
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var n = 0
        for var raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            n += 1
            if raw.last == 0x0D { raw = raw.dropLast() }
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if let s = String(validating: raw, as: UTF8.self) {
                out.append((n, .success(s)))
            } else {
                let bad = InputReader.firstInvalidUTF8(raw)
                out.append((n, .failure(InputError(file: path, line: n, message: "not valid UTF-8 (byte \(bad + 1) of the line)"))))
            }
        }
        return out
    }

    /// The offset of the first byte where `bytes` stops being valid UTF-8.
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u): offset += UTF8.width(u)
            case .emptyInput, .error: return offset
            }
        }
    }

    static func object(_ text: String, line: Int, file: String) throws -> JSONValue {
        let v: JSONValue
        do { v = try JSONParser.parse(text) } catch let e as JSONParseError {
            throw InputError(file: file, line: line, message: "invalid JSON at \(e.description)")
        }
        guard case .object = v else {
            throw InputError(file: file, line: line, message: "expected a JSON object, found \(v.typeName)")
        }
        return v
    }

    static func string(_ v: JSONValue, _ key: String, line: Int, file: String, required: Bool = true) throws -> String? {
        guard let f = v[key] else {
            if required { throw InputError(file: file, line: line, field: key, message: "missing") }
            return nil
        }
        guard let s = f.stringValue else {
            throw InputError(file: file, line: line, field: key, message: "expected a string, found \(f.typeName)")
        }
        return s
    }

    static func ids(_ v: JSONValue, _ key: String, line: Int, file: String) throws -> [Int] {
        guard let f = v[key] else { throw InputError(file: file, line: line, field: key, message: "missing") }
        guard let a = f.arrayValue else {
            throw InputError(file: file, line: line, field: key, message: "expected an array of token ids, found \(f.typeName)")
        }
        return try a.enumerated().map { k, x in
            guard let i = x.intValue, i >= 0 else {
                throw InputError(file: file, line: line, field: key, message: "element \(k) is not a non-negative integer token id")
            }
            return i
        }
    }

    static func idAndSubset(_ v: JSONValue, line: Int, file: String) throws -> (String, String) {
        var id = "line-\(line)"
        // Generations from `softq sample` name themselves by prompt and sample number.
        if v["id"] == nil, let pid = v["prompt_id"]?.stringValue {
            id = v["sample"]?.intValue.map { "\(pid)/\($0)" } ?? pid
        }
        if let f = v["id"] {
            switch f {
            case .string(let s): id = s
            case .int(let i): id = String(i)
            default: throw InputError(file: file, line: line, field: "id", message: "expected a string or integer, found \(f.typeName)")
            }
        }
        let subset = try string(v, "subset", line: line, file: file, required: false) ?? ""
        return (id, subset)
    }

    public static func parsePair(_ text: String, line: Int, file: String) throws -> PairRecord {
        let v = try object(text, line: line, file: file)
        let (id, subset) = try idAndSubset(v, line: line, file: file)
        if v["prompt_ids"] != nil || v["chosen_ids"] != nil || v["rejected_ids"] != nil {
            let p = try ids(v, "prompt_ids", line: line, file: file)
            let c = try ids(v, "chosen_ids", line: line, file: file)
            let r = try ids(v, "rejected_ids", line: line, file: file)
            if p.isEmpty { throw InputError(file: file, line: line, field: "prompt_ids", message: "empty: a prompt needs at least one token (e.g. BOS)") }
            if c.isEmpty { throw InputError(file: file, line: line, field: "chosen_ids", message: "empty response") }
            if r.isEmpty { throw InputError(file: file, line: line, field: "rejected_ids", message: "empty response") }
            return PairRecord(line: line, id: id, subset: subset, content: .ids(prompt: p, chosen: c, rejected: r), fromTranscript: false)
        }
        if isMessageList(v["prompt"]) || isMessageList(v["chosen"]) || isMessageList(v["rejected"]) {
            return PairRecord(line: line, id: id, subset: subset, content: try conversationPair(v, line: line, file: file))
        }
        let chosen = try string(v, "chosen", line: line, file: file)!
        let rejected = try string(v, "rejected", line: line, file: file)!
        if let prompt = try string(v, "prompt", line: line, file: file, required: false) {
            if chosen.isEmpty { throw InputError(file: file, line: line, field: "chosen", message: "empty response") }
            if rejected.isEmpty { throw InputError(file: file, line: line, field: "rejected", message: "empty response") }
            return PairRecord(line: line, id: id, subset: subset, content: .text(prompt: prompt, chosen: chosen, rejected: rejected), fromTranscript: false)
        }
        let (p, c, r) = try splitTranscripts(chosen, rejected, line: line, file: file)
        return PairRecord(line: line, id: id, subset: subset, content: .text(prompt: p, chosen: c, rejected: r), fromTranscript: true)
    }

    public static func parseResponse(_ text: String, line: Int, file: String, promptOnly: Bool = false) throws -> ResponseRecord {
        let v = try object(text, line: line, file: file)
        let (id, _) = try idAndSubset(v, line: line, file: file)
        if promptOnly {
            if v["prompt_ids"] != nil {
                return ResponseRecord(line: line, id: id, content: .ids(prompt: try ids(v, "prompt_ids", line: line, file: file), response: []))
            }
            return ResponseRecord(line: line, id: id, content: .text(prompt: try string(v, "prompt", line: line, file: file)!, response: ""))
        }
        if v["prompt_ids"] != nil || v["response_ids"] != nil {
            // `softq sample` writes the generated ids as `token_ids`: its output is valid input.
            let responseKey = v["response_ids"] == nil && v["token_ids"] != nil ? "token_ids" : "response_ids"
            let p = try ids(v, "prompt_ids", line: line, file: file)
            let r = try ids(v, responseKey, line: line, file: file)
            if p.isEmpty { throw InputError(file: file, line: line, field: "prompt_ids", message: "empty: a prompt needs at least one token (e.g. BOS)") }
            if r.isEmpty { throw InputError(file: file, line: line, field: responseKey, message: "empty response") }
            return ResponseRecord(line: line, id: id, content: .ids(prompt: p, response: r))
        }
        if isMessageList(v["prompt"]) || isMessageList(v["response"]) {
            let p = try messages(v, "prompt", line: line, file: file)
            let r: [JSONValue]
            if let text = v["response"]?.stringValue {
                r = [.object([("role", .string("assistant")), ("content", .string(text))])]
            } else {
                r = try messages(v, "response", line: line, file: file)
            }
            return ResponseRecord(line: line, id: id, content: .conversation(prompt: p, response: r))
        }
        let prompt = try string(v, "prompt", line: line, file: file)!
        // Generations files name the text `text`; accept it as the response.
        let responseKey = v["response"] != nil ? "response" : (v["text"] != nil ? "text" : "response")
        let response = try string(v, responseKey, line: line, file: file)!
        if response.isEmpty { throw InputError(file: file, line: line, field: responseKey, message: "empty response") }
        return ResponseRecord(line: line, id: id, content: .text(prompt: prompt, response: response))
    }

    /// Whether a field holds messages (a JSON array of objects), the mark of a conversational line.
    static func isMessageList(_ v: JSONValue?) -> Bool {
        guard let a = v?.arrayValue else { return false }
        return a.first.map { if case .object = $0 { return true } else { return false } } ?? false
    }

    /// A list of messages, each an object with a string `role` and a `content` (a string, a list
    /// of content parts, or null as tool-call turns have).
    static func messages(_ v: JSONValue, _ key: String, line: Int, file: String) throws -> [JSONValue] {
        guard let f = v[key] else { throw InputError(file: file, line: line, field: key, message: "missing") }
        guard let a = f.arrayValue else {
            throw InputError(file: file, line: line, field: key, message: "expected a list of messages, found \(f.typeName)")
        }
        if a.isEmpty { throw InputError(file: file, line: line, field: key, message: "empty list of messages") }
        for (k, m) in a.enumerated() {
            guard case .object = m else {
                throw InputError(file: file, line: line, field: key, message: "message \(k) is a \(m.typeName), expected an object with 'role' and 'content'")
            }
            guard m["role"]?.stringValue != nil else {
                throw InputError(file: file, line: line, field: key, message: "message \(k) has no string 'role'")
            }
            switch m["content"] {
            case .string?, .array?, .null?: break
            case nil:
                if m["tool_calls"] == nil { throw InputError(file: file, line: line, field: key, message: "message \(k) has no 'content'") }
            case let other?:
                throw InputError(file: file, line: line, field: key, message: "message \(k): 'content' must be a string, a list of parts or null, found \(other.typeName)")
            }
        }
        return a
    }

    /// TRL's conversational preference format (`prompt` messages, `chosen`/`rejected` assistant
    /// turns), or two full conversations whose shared leading messages are the prompt.
    static func conversationPair(_ v: JSONValue, line: Int, file: String) throws -> PairRecord.Content {
        let chosen = try messages(v, "chosen", line: line, file: file)
        let rejected = try messages(v, "rejected", line: line, file: file)
        if v["prompt"] != nil {
            return .conversation(prompt: try messages(v, "prompt", line: line, file: file), chosen: chosen, rejected: rejected)
        }
        var k = 0
        while k < chosen.count, k < rejected.count, chosen[k] == rejected[k] { k += 1 }
        if k == 0 {
            throw InputError(file: file, line: line, field: "chosen", message: "no 'prompt' field, and the two conversations share no leading message to serve as the prompt")
        }
        if k == chosen.count || k == rejected.count {
            throw InputError(file: file, line: line, field: k == chosen.count ? "chosen" : "rejected", message: "the conversation has no turns after the \(k) messages it shares with the other one")
        }
        for (field, side) in [("chosen", chosen), ("rejected", rejected)] where side[k]["role"]?.stringValue != "assistant" {
            throw InputError(file: file, line: line, field: field, message: "the conversations differ first at message \(k), a '\(side[k]["role"]?.stringValue ?? "?")' turn; the response must start with an assistant turn")
        }
        return .conversation(prompt: Array(chosen[..<k]), chosen: Array(chosen[k...]), rejected: Array(rejected[k...]))
    }

    /// HH-RLHF-style full transcripts: the prompt is the longest common prefix cut back to the
    /// end of the last assistant-turn marker inside it, so both responses start at a turn.
    public static func splitTranscripts(_ chosen: String, _ rejected: String, line: Int, file: String) throws -> (String, String, String) {
        let a = Array(chosen.unicodeScalars), b = Array(rejected.unicodeScalars)
        var n = 0
        while n < a.count, n < b.count, a[n] == b[n] { n += 1 }
        let common = String(String.UnicodeScalarView(a[0..<n]))
        var cut: String.Index?
        for marker in turnMarkers {
            if let r = common.range(of: marker, options: .backwards) {
                if cut == nil || r.upperBound > cut! { cut = r.upperBound }
            }
        }
        guard let end = cut else {
            throw InputError(file: file, line: line, field: "chosen", message: "no 'prompt' field, and the transcripts share no assistant-turn marker (\(turnMarkers.map { $0.debugDescription }.joined(separator: ", "))) to split the prompt at")
        }
        let promptScalars = common[..<end].unicodeScalars.count
        let prompt = String(common[..<end])
        let c = String(String.UnicodeScalarView(a[promptScalars...]))
        let r = String(String.UnicodeScalarView(b[promptScalars...]))
        if c.isEmpty || r.isEmpty {
            throw InputError(file: file, line: line, field: c.isEmpty ? "chosen" : "rejected", message: "empty response after the last shared assistant turn")
        }
        return (prompt, c, r)
    }
}
