import SoftQBase
import SoftQTokenizers

/// One step-labelled solution (`softq analyze steps`): a prompt and a response written as
/// steps, labelled as ProcessBench labels reasoning: the index of the first wrong step, or −1.
public struct StepRecord: Sendable, Equatable {
    public var line: Int
    public var id: String
    public var prompt: String
    /// Joined by "\n" they form the response.
    public var steps: [String]
    public var label: Int

    public init(line: Int, id: String, prompt: String, steps: [String], label: Int) {
        self.line = line
        self.id = id
        self.prompt = prompt
        self.steps = steps
        self.label = label
    }

    /// The response text: the steps joined by "\n".
    public var response: String { steps.joined(separator: "\n") }
}

/// A step-labelled solution tokenized and split into steps.
public struct PreparedSteps: Sendable {
    public var record: StepRecord
    /// The prompt and response exactly as every scoring command prepares them.
    public var single: PreparedSingle
    /// The step of each response token: the step whose bytes hold the token's first byte; a
    /// token after the text (the appended EOS) belongs to the last step.
    public var stepOfToken: [Int]
    /// Each step's bytes in the response's UTF-8: step 0 from byte 0, step i ≥ 1 from the "\n"
    /// that joins it to step i − 1, each up to the next step's first byte.
    public var stepBytes: [Range<Int>]
}

extension InputReader {
    /// Reads step-labelled solutions: `prompt` (string), `steps` (a non-empty array of non-empty
    /// strings), `label` (an integer from −1 to steps − 1), optional `id` (unique). With
    /// `skipInvalid` bad lines are returned in `skipped`, never dropped silently.
    public static func readSteps(path: String, skipInvalid: Bool) throws -> (records: [StepRecord], skipped: [InputError]) {
        var out: [StepRecord] = []
        var skipped: [InputError] = []
        var ids = Set<String>()
        for (n, line) in try lines(path) {
            do {
                let r = try parseSteps(try line.get(), line: n, file: path)
                if !ids.insert(r.id).inserted { throw InputError(file: path, line: n, field: "id", message: "duplicate id '\(r.id)'") }
                out.append(r)
            } catch let e as InputError {
                if skipInvalid { skipped.append(e) } else { throw e }
            }
        }
        return (out, skipped)
    }

    public static func parseSteps(_ text: String, line: Int, file: String) throws -> StepRecord {
        let v = try object(text, line: line, file: file)
        func fail(_ field: String, _ message: String) -> InputError { InputError(file: file, line: line, field: field, message: message) }
        let (id, _) = try idAndSubset(v, line: line, file: file)
        let prompt = try string(v, "prompt", line: line, file: file)!
        guard let f = v["steps"] else { throw fail("steps", "missing: a solution needs its steps (an array of strings)") }
        guard let a = f.arrayValue else { throw fail("steps", "expected an array of strings, found \(f.typeName)") }
        guard !a.isEmpty else { throw fail("steps", "empty: a solution needs at least one step") }
        let steps = try a.enumerated().map { k, s -> String in
            guard let t = s.stringValue else { throw fail("steps", "step \(k) is a \(s.typeName), expected a string") }
            guard !t.isEmpty else { throw fail("steps", "step \(k) is empty; every step needs text") }
            return t
        }
        guard let lf = v["label"] else { throw fail("label", "missing: the index of the first wrong step, or -1 when every step is right") }
        guard let label = lf.intValue else { throw fail("label", "expected an integer, found \(lf.typeName)") }
        guard label >= -1, label < steps.count else {
            throw fail("label", "\(label) is out of range: the solution has \(steps.count) steps, so the label must lie in -1...\(steps.count - 1)")
        }
        return StepRecord(line: line, id: id, prompt: prompt, steps: steps, label: label)
    }
}

extension TokenizationPolicy {
    /// Tokenizes a step-labelled solution as a text record (prompt and response separately,
    /// EOS appended by the conventions) and attributes each response token to a step by its
    /// first byte. The tokens must spell the response byte for byte; a tokenizer for which
    /// that cannot be established (not byte-level, a normalizer, an added prefix space) or a
    /// chat template around the text is an error, never an approximate attribution.
    public func prepareSteps(_ r: StepRecord) throws -> PreparedSteps {
        if chat?.mode == .always {
            throw fail(r.line, "steps", "step attribution needs the response as plain text; run without --chat-template always")
        }
        let single = try prepare(ResponseRecord(line: r.line, id: r.id, content: .text(prompt: r.prompt, response: r.response)))
        guard let tok = tokenizer else { throw fail(r.line, "steps", "text input needs a tokenizer") }
        let text = Array(r.response.utf8)
        var stepBytes: [Range<Int>] = []
        var at = 0
        for (k, s) in r.steps.enumerated() {
            let n = s.utf8.count + (k == 0 ? 0 : 1)
            stepBytes.append(at..<(at + n))
            at += n
        }
        // Byte offset of each token's first byte, until the text is spelled out; what follows
        // (the appended EOS) lies after the text.
        var stepOfToken: [Int] = []
        var offset = 0
        for id in single.response.ids {
            if offset >= text.count {
                stepOfToken.append(r.steps.count - 1)
                continue
            }
            guard let b = tok.tokenBytes(id) else {
                throw fail(r.line, "steps", "cannot attribute tokens to steps with this tokenizer (token \(id) has no byte spelling: only byte-level tokenizers without a normalizer are supported)")
            }
            guard offset + b.count <= text.count, text[offset..<(offset + b.count)].elementsEqual(b) else {
                throw fail(r.line, "steps", "the response's tokens do not spell its text at byte \(offset) (token \(id)): tokens cannot be attributed to steps")
            }
            stepOfToken.append(stepBytes.lastIndex { $0.lowerBound <= offset }!)
            offset += b.count
        }
        guard offset == text.count else {
            throw fail(r.line, "steps", "the response's tokens spell \(offset) of its \(text.count) bytes: tokens cannot be attributed to steps")
        }
        return PreparedSteps(record: r, single: single, stepOfToken: stepOfToken, stepBytes: stepBytes)
    }
}
