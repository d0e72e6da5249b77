import Foundation
import HDF5Kit
import SoftQBase

/// The optional tokenizer-side files a checkpoint may carry beside `tokenizer.json`
/// (docs/spec/checkpoint-format.md): `tokenizer_config.json`, chat templates, and the root
/// attribute `generation_config`. All are optional; each is read on demand, and a present but
/// malformed one is an error naming the object, never silently ignored.
extension Checkpoint {
    /// A string dataset under `/tokenizer`, or nil when absent: one non-empty string, read with
    /// the same size checks as tokenizer.json (only the first element is ever read).
    public func tokenizerFile(_ name: String) throws -> String? {
        try Checkpoint.readText(file, "/tokenizer/" + name, checkpoint: path)
    }

    /// `/tokenizer/tokenizer_config.json` decoded, or nil when absent.
    public func tokenizerConfig() throws -> JSONValue? {
        guard let text = try tokenizerFile("tokenizer_config.json") else { return nil }
        return try Checkpoint.decodeObject(text, what: "/tokenizer/tokenizer_config.json", path: path)
    }

    /// The root attribute `generation_config` decoded, or nil when absent.
    public func generationConfig() throws -> JSONValue? {
        guard let v = file.attributes["generation_config"] else { return nil }
        guard let text = v.stringValue else {
            throw CheckpointError.invalidMetadata(path: path, object: "attribute 'generation_config'", detail: "expected a JSON string")
        }
        return try Checkpoint.decodeObject(text, what: "attribute 'generation_config'", path: path)
    }

    /// The chat templates the checkpoint carries, by name: `""` for the default
    /// (`/tokenizer/chat_template.jinja`), `NAME` for `/tokenizer/chat_template.NAME.jinja`.
    /// A template stored only inside `tokenizer_config.json` (older models) counts too: a string
    /// `chat_template` is the default, a list of `{name, template}` gives named ones (`default`
    /// becomes the default). The dedicated files win over the config's copy.
    public func chatTemplates() throws -> [String: String] {
        var out: [String: String] = [:]
        if let cfg = try tokenizerConfig(), let t = cfg["chat_template"] {
            switch t {
            case .string(let s): out[""] = s
            case .array(let items):
                for item in items {
                    guard let name = item["name"]?.stringValue, let body = item["template"]?.stringValue else {
                        throw CheckpointError.invalidMetadata(path: path, object: "/tokenizer/tokenizer_config.json", detail: "chat_template list entries need 'name' and 'template' strings")
                    }
                    out[name == "default" ? "" : name] = body
                }
            case .null: break
            default:
                throw CheckpointError.invalidMetadata(path: path, object: "/tokenizer/tokenizer_config.json", detail: "chat_template must be a string or a list, found \(t.typeName)")
            }
        }
        guard file.contains("/tokenizer") else { return out }
        let group = try Checkpoint.wrap { try file.group("/tokenizer") }
        for name in group.names.sorted() where name.hasPrefix("chat_template") && name.hasSuffix(".jinja") {
            let middle = name.dropFirst("chat_template".count).dropLast(".jinja".count)
            let key: String
            if middle.isEmpty { key = "" } else if middle.hasPrefix("."), middle.count > 1 { key = String(middle.dropFirst()) } else { continue }
            out[key] = try tokenizerFile(name)
        }
        return out
    }

    static func decodeObject(_ text: String, what: String, path: String) throws -> JSONValue {
        let v: JSONValue
        do { v = try JSONParser.parse(text) } catch let e as JSONParseError {
            throw CheckpointError.invalidMetadata(path: path, object: what, detail: "invalid JSON at \(e.description)")
        }
        guard case .object = v else {
            throw CheckpointError.invalidMetadata(path: path, object: what, detail: "expected a JSON object, found \(v.typeName)")
        }
        return v
    }
}
