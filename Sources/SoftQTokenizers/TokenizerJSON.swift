import Foundation
import SoftQBase

/// Tokenizer files are read with SoftQBase's JSON parser (ordered keys, the last duplicate wins,
/// linear in the number of keys); `JField` adds the key path every error names.
typealias JNode = JSONValue

extension JSONValue {
    var isNull: Bool { if case .null = self { return true }; return false }
}

/// Parses a tokenizer file's bytes: invalid UTF-8 and malformed JSON become `malformedJSON`
/// with the 1-based byte offset of the problem.
func parseTokenizerJSON(_ data: Data) throws -> JNode {
    guard let text = String(data: data, encoding: .utf8) else {
        throw TokenizerError.malformedJSON(offset: 0, message: "the file is not valid UTF-8")
    }
    do { return try JSONParser.parse(text) } catch let e as JSONParseError {
        throw TokenizerError.malformedJSON(offset: e.column, message: e.message)
    }
}

/// A node with the key path that reached it, so every error can say where it is.
struct JField {
    let node: JNode
    let path: String

    func child(_ key: String) -> JField? {
        guard let n = node[key], !n.isNull else { return nil }
        return JField(node: n, path: path.isEmpty ? key : path + "." + key)
    }

    func required(_ key: String) throws -> JField {
        guard let c = child(key) else {
            throw TokenizerError.invalidField(path: path.isEmpty ? key : path + "." + key, expected: "a value", actual: "nothing")
        }
        return c
    }

    func string() throws -> String {
        if case .string(let s) = node { return s }
        throw TokenizerError.invalidField(path: path, expected: "string", actual: node.typeName)
    }

    func int() throws -> Int {
        if case .int(let i) = node { return i }
        throw TokenizerError.invalidField(path: path, expected: "integer", actual: node.typeName)
    }

    func bool() throws -> Bool {
        if case .bool(let b) = node { return b }
        throw TokenizerError.invalidField(path: path, expected: "boolean", actual: node.typeName)
    }

    func array() throws -> [JField] {
        guard case .array(let items) = node else {
            throw TokenizerError.invalidField(path: path, expected: "array", actual: node.typeName)
        }
        return items.enumerated().map { JField(node: $1, path: "\(path)[\($0)]") }
    }

    func object() throws -> [(String, JField)] {
        guard case .object(let fields) = node else {
            throw TokenizerError.invalidField(path: path, expected: "object", actual: node.typeName)
        }
        return fields.map { ($0.0, JField(node: $0.1, path: path.isEmpty ? $0.0 : path + "." + $0.0)) }
    }

    /// An optional boolean with a default (absent or null → default).
    func bool(_ key: String, default value: Bool) throws -> Bool {
        try child(key)?.bool() ?? value
    }

    /// The stage's `type` field.
    func stageType() throws -> String { try required("type").string() }
}
