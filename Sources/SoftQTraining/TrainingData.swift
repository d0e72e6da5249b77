import Foundation
import SoftQBase

/// Reads demonstrations (JSONL, one per line) into token-id examples.
///
/// Two shapes per line, mixed files allowed (as the pair inputs of docs/spec/outputs.md):
/// - text: `prompt`, `response` strings. prompt = encode(prompt, addSpecialTokens: true)
///   (BOS once, when the tokenizer adds one), response = encode(response) + [EOS] unless
///   `appendEOS` is off — the same tokenization as scoring, so training and extraction agree.
/// - token ids: `prompt_ids`, `response_ids`, used verbatim (no BOS, no EOS added).
public struct TrainingDataLoader {
    /// Encodes text; the flag says whether to add the tokenizer's special tokens (BOS).
    public typealias Encode = (_ text: String, _ addSpecialTokens: Bool) throws -> [Int]

    public var encode: Encode?
    public var eosTokenID: Int
    public var appendEOS: Bool
    public var vocabSize: Int
    public var maxLength: Int

    public init(encode: Encode?, eosTokenID: Int, appendEOS: Bool = true, vocabSize: Int, maxLength: Int) {
        self.encode = encode
        self.eosTokenID = eosTokenID
        self.appendEOS = appendEOS
        self.vocabSize = vocabSize
        self.maxLength = maxLength
    }

    public func load(path: String) throws -> [TrainingExample] {
        let file = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.data(file: path, line: 0, message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    public func parse(_ text: String, file: String) throws -> [TrainingExample] {
        var examples: [TrainingExample] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let json: JSONValue
            do { json = try JSONParser.parse(line) } catch let e as JSONParseError {
                throw TrainingError.data(file: file, line: lineNumber, message: "invalid JSON at \(e)")
            }
            guard json.objectValue != nil else {
                throw TrainingError.data(file: file, line: lineNumber, message: "expected a JSON object, got \(json.typeName)")
            }
            let example = try exampleFrom(json, file: file, line: lineNumber)
            if example.prompt.isEmpty {
                throw TrainingError.data(file: file, line: lineNumber, message: "the prompt has no tokens; the first action needs a state (use a tokenizer that adds BOS, or give prompt_ids)")
            }
            if example.response.isEmpty {
                throw TrainingError.data(file: file, line: lineNumber, message: "the response has no tokens")
            }
            if example.length > maxLength {
                throw TrainingError.sequenceTooLong(file: file, line: lineNumber, length: example.length, limit: maxLength)
            }
            if let bad = (example.prompt + example.response).first(where: { $0 < 0 || $0 >= vocabSize }) {
                throw TrainingError.tokenOutOfRange(file: file, line: lineNumber, token: bad, vocabSize: vocabSize)
            }
            examples.append(example)
        }
        if examples.isEmpty { throw TrainingError.emptyData(file: file) }
        return examples
    }

    private func exampleFrom(_ json: JSONValue, file: String, line: Int) throws -> TrainingExample {
        func ids(_ key: String) throws -> [Int] {
            guard let arr = json[key]?.arrayValue else {
                throw TrainingError.data(file: file, line: line, message: "field '\(key)': expected an array of integers, got \(json[key]?.typeName ?? "nothing")")
            }
            return try arr.map {
                guard let i = $0.intValue else {
                    throw TrainingError.data(file: file, line: line, message: "field '\(key)': expected integers, got \($0.typeName)")
                }
                return i
            }
        }
        if json["prompt_ids"] != nil || json["response_ids"] != nil {
            return TrainingExample(prompt: try ids("prompt_ids"), response: try ids("response_ids"))
        }
        func text(_ key: String) throws -> String {
            guard let v = json[key] else {
                throw TrainingError.data(file: file, line: line, message: "missing field '\(key)' (or give prompt_ids/response_ids)")
            }
            guard let s = v.stringValue else {
                throw TrainingError.data(file: file, line: line, message: "field '\(key)': expected a string, got \(v.typeName)")
            }
            return s
        }
        let prompt = try text("prompt"), response = try text("response")
        guard let encode else {
            throw TrainingError.data(file: file, line: line, message: "text examples need a tokenizer (--tokenizer FILE or an --init checkpoint with one)")
        }
        var responseIDs = try encode(response, false)
        if appendEOS { responseIDs.append(eosTokenID) }
        return TrainingExample(prompt: try encode(prompt, true), response: responseIDs)
    }
}
