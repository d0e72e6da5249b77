/// Python's `json.dumps(x, ensure_ascii=False, indent=…, separators=…, sort_keys=…)`, which is
/// what transformers installs as the `tojson` filter (jinja2's own `tojson` HTML-escapes; this
/// one does not).
struct JSONDumpOptions {
    /// nil: one line. A string: the indentation unit (an int n means n spaces), with newlines.
    var indent: String?
    /// Python's default is (", ", ": ") without indent and (",", ": ") with one.
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool

    init(indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
        self.indent = indent
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }
}

enum JSONDump {
    static func dumps(_ v: Value, _ options: JSONDumpOptions) throws -> String {
        var out = ""
        try write(v, options, level: 0, to: &out)
        return out
    }

    private static func write(_ v: Value, _ o: JSONDumpOptions, level: Int, to out: inout String) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += floatText(d)
        case .string(let s): writeString(s, to: &out)
        case .list(let items), .tuple(let items): try writeArray(items, o, level: level, to: &out)
        case .range: try writeArray(v.iterationItems ?? [], o, level: level, to: &out)
        case .dict(let d): try writeObject(d, o, level: level, to: &out)
        default:
            throw TemplateError(.type, "Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private static func newline(_ o: JSONDumpOptions, _ level: Int, to out: inout String) {
        guard let unit = o.indent else { return }
        out += "\n" + String(repeating: unit, count: level)
    }

    private static func writeArray(_ items: [Value], _ o: JSONDumpOptions, level: Int, to out: inout String) throws {
        if items.isEmpty { out += "[]"; return }
        out += "["
        for (k, item) in items.enumerated() {
            if k > 0 { out += o.itemSeparator }
            newline(o, level + 1, to: &out)
            try write(item, o, level: level + 1, to: &out)
        }
        newline(o, level, to: &out)
        out += "]"
    }

    private static func writeObject(_ d: Dict, _ o: JSONDumpOptions, level: Int, to out: inout String) throws {
        if d.pairs.isEmpty { out += "{}"; return }
        // json.dumps turns str/int/float/bool/None keys into strings; other keys are a TypeError.
        var fields: [(String, Value)] = try d.pairs.map { key, value in
            switch key {
            case .string(let s): return (s, value)
            case .int(let i): return (String(i), value)
            case .double(let x): return (floatText(x), value)
            case .bool(let b): return (b ? "true" : "false", value)
            case .none: return ("null", value)
            default: throw TemplateError(.type, "keys must be str, int, float, bool or None, not \(key.typeName)")
            }
        }
        if o.sortKeys {
            guard d.pairs.allSatisfy({ if case .string = $0.0 { return true }; return false }) else {
                throw TemplateError(.unsupported, "tojson(sort_keys=true) with non-string keys")
            }
            fields.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) { $0.value < $1.value } }
        }
        out += "{"
        for (k, (key, value)) in fields.enumerated() {
            if k > 0 { out += o.itemSeparator }
            newline(o, level + 1, to: &out)
            writeString(key, to: &out)
            out += o.keySeparator
            try write(value, o, level: level + 1, to: &out)
        }
        newline(o, level, to: &out)
        out += "}"
    }

    /// float.__repr__, with Python's spellings of the non-finite values.
    private static func floatText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return PythonFormat.floatRepr(d)
    }

    /// ensure_ascii=False: only `"`, `\` and the C0 controls are escaped. (SoftQBase's JSONValue
    /// writer also escapes U+2028/U+2029 for JavaScript readers; Python's json.dumps does not, so
    /// parity needs this separate writer.)
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 { out += "\\u" + PythonFormat.hex(c.value, width: 4) } else { out.unicodeScalars.append(c) }
            }
        }
        out += "\""
    }
}
