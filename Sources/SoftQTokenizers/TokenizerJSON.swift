/// A small JSON tree for tokenizer files. SoftQBase's ordered JSON checks duplicate keys
/// linearly, which is quadratic on a 50k–150k entry vocabulary; this reader keeps fields in
/// order without that check (the last duplicate wins on lookup, as in serde_json).
indirect enum JNode {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JNode])
    case object([(String, JNode)])

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    subscript(key: String) -> JNode? {
        guard case .object(let fields) = self else { return nil }
        return fields.last { $0.0 == key }?.1
    }

    var isNull: Bool { if case .null = self { return true }; return false }
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

/// Strict RFC 8259 parser over UTF-8 bytes.
struct JReader {
    private let bytes: [UInt8]
    private var i = 0

    static func parse(_ bytes: [UInt8]) throws -> JNode {
        var r = JReader(bytes: bytes)
        r.skipWhitespace()
        let v = try r.value(depth: 0)
        r.skipWhitespace()
        if r.i < r.bytes.count { throw r.error("unexpected trailing characters") }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ m: String) -> TokenizerError { .malformedJSON(offset: i + 1, message: m) }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JNode {
        guard depth < 256 else { throw error("nesting deeper than 256") }
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var fields: [(String, JNode)] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
                i += 1
                skipWhitespace()
                fields.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard i < bytes.count else { throw error("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                throw error("expected ',' or '}' in object")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JNode] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard i < bytes.count else { throw error("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw error("expected ',' or ']' in array")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw error("invalid literal") }
        let w = word.utf8Start
        for k in 0..<n where bytes[i + k] != w[k] { throw error("invalid literal") }
        i += n
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v * 16 + UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        guard i < bytes.count else { throw error("unterminated string") }
        if bytes[i] == UInt8(ascii: "\"") {
            i += 1
            return try validUTF8(bytes[start..<(i - 1)])
        }
        var buf = Array(bytes[start..<i])
        while true {
            guard i < bytes.count else { throw error("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw error("control character in string") }
            if c != UInt8(ascii: "\\") { buf.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { throw error("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): buf.append(0x22)
            case UInt8(ascii: "\\"): buf.append(0x5C)
            case UInt8(ascii: "/"): buf.append(0x2F)
            case UInt8(ascii: "b"): buf.append(0x08)
            case UInt8(ascii: "f"): buf.append(0x0C)
            case UInt8(ascii: "n"): buf.append(0x0A)
            case UInt8(ascii: "r"): buf.append(0x0D)
            case UInt8(ascii: "t"): buf.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if (0xD800...0xDBFF).contains(cp) {
                    guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("lone surrogate in \\u escape")
                    }
                    i += 2
                    let lo = try hex4()
                    guard (0xDC00...0xDFFF).contains(lo) else { throw error("lone surrogate in \\u escape") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(cp) {
                    throw error("lone surrogate in \\u escape")
                }
                buf.append(contentsOf: Array(String(Unicode.Scalar(cp)!).utf8))
            default: throw error("invalid escape")
            }
        }
        return try validUTF8(buf[...])
    }

    private func validUTF8(_ s: ArraySlice<UInt8>) throws -> String {
        guard let str = String(validating: s, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
        return str
    }

    private mutating func number() throws -> JNode {
        let start = i
        var isInteger = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, (0x30...0x39).contains(bytes[i]) else { throw error("invalid number") }
        while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int(text) { return .int(v) }
        guard let d = Double(text) else { throw TokenizerError.malformedJSON(offset: start + 1, message: "invalid number") }
        return .double(d)
    }
}
