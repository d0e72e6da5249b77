import Foundation

/// A JSON value whose objects keep their key order, so every file softq writes has the
/// field order documented in docs/spec/outputs.md and is byte-identical across runs.
///
/// Numbers: integers print as integers; doubles print in Swift's shortest round-trip form
/// (`0.1`, `1e-05`), so a value read back by Python or pandas is the same double. Non-finite
/// doubles have no JSON spelling and become `null`.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Serialises compactly (one line, no spaces), as JSONL wants.
    public func serialized() -> String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Serialises with two-space indentation, for summary files people read.
    public func prettySerialized() -> String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        out.append("\n")
        return out
    }

    public static func formatDouble(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        return "\(d)"
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d): out.append(JSONValue.formatDouble(d))
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[")
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(",") }
                if let ind = indent { out.append("\n"); out.append(String(repeating: ind, count: level + 1)) }
                item.write(to: &out, indent: indent, level: level + 1)
            }
            if let ind = indent { out.append("\n"); out.append(String(repeating: ind, count: level)) }
            out.append("]")
        case .object(let fields):
            if fields.isEmpty { out.append("{}"); return }
            out.append("{")
            for (k, (key, value)) in fields.enumerated() {
                if k > 0 { out.append(",") }
                if let ind = indent { out.append("\n"); out.append(String(repeating: ind, count: level + 1)) }
                JSONValue.writeString(key, to: &out)
                out.append(indent == nil ? ":" : ": ")
                value.write(to: &out, indent: indent, level: level + 1)
            }
            if let ind = indent { out.append("\n"); out.append(String(repeating: ind, count: level)) }
            out.append("}")
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out.append(String(format: "\\u%04x", scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? { if case .int(let i) = self { return i }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { return o }; return nil }

    /// A short name of the value's JSON type, for error messages ("expected string, got number").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
}
