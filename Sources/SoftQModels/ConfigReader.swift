import SoftQBase

/// Typed access to a Hugging Face `config.json` object with defaults; every failure names the
/// key and what was expected. `null` counts as absent (transformers writes `"n_inner": null`).
struct ConfigReader {
    let modelType: String
    let json: JSONValue

    init(modelType: String, json: JSONValue) throws {
        guard case .object = json else {
            throw ModelError.invalidConfig(modelType: modelType, key: "(root)", message: "expected a JSON object, got \(json.typeName)")
        }
        self.modelType = modelType
        self.json = json
    }

    func fail(_ key: String, _ message: String) -> ModelError {
        .invalidConfig(modelType: modelType, key: key, message: message)
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = json[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func optionalInt(_ key: String, in object: JSONValue? = nil) throws -> Int? {
        let source = object ?? json
        guard let v = source[key] else { return nil }
        switch v {
        case .null: return nil
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw fail(key, "expected an integer, got \(v.typeName)")
        }
    }

    func int(_ key: String, default def: Int? = nil) throws -> Int {
        if let i = try optionalInt(key) { return i }
        if let def { return def }
        throw fail(key, "required but missing")
    }

    func positiveInt(_ key: String, default def: Int? = nil) throws -> Int {
        let i = try int(key, default: def)
        guard i > 0 else { throw fail(key, "expected a positive integer, got \(i)") }
        return i
    }

    /// The largest layer count a configuration may declare: two orders of magnitude above any
    /// published decoder. Per-layer settings (windows, rope tables) are built from the count
    /// before the weights are bound, so a hostile `n_layer = 10^9` must stop here; the binder
    /// then checks the count against the tensors the file holds.
    static let maximumLayers = 65_536

    /// A layer count: positive and at most `maximumLayers`.
    func layerCount(_ key: String, default def: Int? = nil) throws -> Int {
        let n = try positiveInt(key, default: def)
        guard n <= ConfigReader.maximumLayers else {
            throw fail(key, "\(n) layers is more than softq accepts (\(ConfigReader.maximumLayers)); the configuration cannot describe a real checkpoint")
        }
        return n
    }

    func optionalDouble(_ key: String, in object: JSONValue? = nil) throws -> Double? {
        let source = object ?? json
        guard let v = source[key] else { return nil }
        if case .null = v { return nil }
        guard let d = v.doubleValue else { throw fail(key, "expected a number, got \(v.typeName)") }
        return d
    }

    func positiveDouble(_ key: String, default def: Double? = nil, in object: JSONValue? = nil) throws -> Double {
        guard let d = try optionalDouble(key, in: object) ?? def else { throw fail(key, "required but missing") }
        guard d > 0, d.isFinite else { throw fail(key, "expected a positive number, got \(d)") }
        return d
    }

    func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let v = value(key) else { return def }
        guard case .bool(let b) = v else { throw fail(key, "expected true or false, got \(v.typeName)") }
        return b
    }

    func string(_ key: String, default def: String) throws -> String {
        guard let v = value(key) else { return def }
        guard let s = v.stringValue else { throw fail(key, "expected a string, got \(v.typeName)") }
        return s
    }

    /// `eos_token_id` may be one id or a list of ids.
    func tokenIds(_ key: String) throws -> [Int] {
        guard let v = value(key) else { return [] }
        switch v {
        case .int(let i): return [i]
        case .array(let items):
            return try items.map {
                guard let i = $0.intValue else { throw fail(key, "expected an integer or a list of integers") }
                return i
            }
        default: throw fail(key, "expected an integer or a list of integers, got \(v.typeName)")
        }
    }
}
