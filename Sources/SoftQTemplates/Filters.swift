import Foundation

/// jinja2's filters as transformers' environment has them (`tojson` is transformers' own). Filters
/// that return generators in Python (`map`, `select`, `selectattr`, `unique`, `reverse` of a
/// list, `items`) return generator views here too: truthy, without a length, unprintable.
enum Filters {
    static let implemented: Set<String> = [
        "trim", "upper", "lower", "capitalize", "title", "string", "safe", "length", "count", "default", "d", "join",
        "items", "list", "replace", "first", "last", "int", "float", "abs", "round", "indent", "tojson", "map", "select",
        "reject", "selectattr", "rejectattr", "unique", "reverse", "sort",
    ]
    /// Filters jinja2 marks `pass_context`: its optimizer never evaluates them at compile time.
    static let needContext: Set<String> = ["map", "select", "reject", "selectattr", "rejectattr"]
    /// jinja2's other built-in filters: valid in a template, refused here.
    static let jinjaOnly: Set<String> = [
        "attr", "batch", "center", "dictsort", "e", "escape", "filesizeformat", "forceescape", "format", "groupby",
        "max", "min", "pprint", "random", "slice", "striptags", "sum", "truncate", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr",
    ]

    static func generator(_ items: [Value]) -> Value { .view(kind: "generator", items: items) }

    static func iterate(_ v: Value, _ filter: String) throws -> [Value] {
        guard let items = v.iterationItems else { throw TemplateError(.type, "'\(v.typeName)' object is not iterable (filter '\(filter)')") }
        return items
    }

    static func apply(_ name: String, _ v: Value, _ args: Arguments, _ evaluator: Evaluator) throws -> Value {
        func arg(_ k: Int, _ n: String) -> Value? { args.value(at: k, named: n) }
        switch name {
        case "trim":
            try args.check(name, names: ["chars"])
            return .string(StringMethods.strip(try PythonFormat.str(v), chars: try StringMethods.argString(arg(0, "chars"), "trim"),
                                               leading: true, trailing: true))
        case "upper": try args.check(name, names: []); return .string(StringMethods.upper(try PythonFormat.str(v)))
        case "lower": try args.check(name, names: []); return .string(StringMethods.lower(try PythonFormat.str(v)))
        case "capitalize": try args.check(name, names: []); return .string(StringMethods.capitalize(try PythonFormat.str(v)))
        case "title": try args.check(name, names: []); return .string(jinjaTitle(try PythonFormat.str(v)))
        case "string": try args.check(name, names: []); return .string(try PythonFormat.str(v))
        case "safe": try args.check(name, names: []); return .string(try PythonFormat.str(v))
        case "length", "count":
            try args.check(name, names: [])
            guard let n = v.length else { throw TemplateError(.type, "object of type '\(v.typeName)' has no len()") }
            return .int(n)
        case "default", "d":
            try args.check(name, names: ["default_value", "boolean"])
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.truthy ?? false
            return v.isUndefined || (boolean && !v.truthy) ? fallback : v
        case "join":
            try args.check(name, names: ["d", "attribute"])
            var items = try iterate(v, name)
            if let attribute = arg(1, "attribute"), !attribute.isNone { items = try items.map { try attributeGetter(attribute)($0) } }
            return .string(try items.map(PythonFormat.str).joined(separator: try PythonFormat.str(arg(0, "d") ?? .string(""))))
        case "items":
            try args.check(name, names: [])
            switch v {
            case .undefined: return generator([])
            case .dict(let d): return generator(d.pairs.map { .tuple([$0.0, $0.1]) })
            default: throw TemplateError(.type, "Can only get item pairs from a mapping.")
            }
        case "list": try args.check(name, names: []); return .list(try iterate(v, name))
        case "replace":
            try args.check(name, names: ["old", "new", "count"])
            guard let old = arg(0, "old"), let new = arg(1, "new") else { throw TemplateError(.type, "replace needs old and new") }
            let count = arg(2, "count").flatMap { $0.isNone ? nil : $0.integer } ?? -1
            return .string(StringMethods.replace(try PythonFormat.str(v), try PythonFormat.str(old), try PythonFormat.str(new), count: count))
        case "first":
            try args.check(name, names: [])
            return try iterate(v, name).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            try args.check(name, names: [])
            switch v {
            case .list, .tuple, .string, .dict, .range, .undefined:
                return try iterate(v, name).last ?? .undefined("No last item, sequence was empty.")
            default: throw TemplateError(.type, "'\(v.typeName)' object is not reversible")
            }
        case "int": try args.check(name, names: ["default", "base"]); return try toInt(v, default: arg(0, "default") ?? .int(0), base: arg(1, "base"))
        case "float":
            try args.check(name, names: ["default"])
            if v.isUndefined { throw undefinedError(v) }  // Undefined.__float__ raises
            return toFloat(v) ?? (arg(0, "default") ?? .double(0))
        case "abs":
            try args.check(name, names: [])
            switch v {
            case .double(let d): return .double(abs(d))
            default:
                guard let i = v.integer else { throw TemplateError(.type, "bad operand type for abs(): '\(v.typeName)'") }
                guard i != Int.min else { throw Arithmetic.overflow }
                return .int(abs(i))
            }
        case "round": try args.check(name, names: ["precision", "method"]); return try round(v, precision: arg(0, "precision"), method: arg(1, "method"))
        case "indent":
            try args.check(name, names: ["width", "first", "blank"])
            // jinja2 appends "\n" to the value itself: only strings (and undefined, which raises) pass.
            guard case .string(let text) = v else {
                if v.isUndefined { throw undefinedError(v) }
                throw TemplateError(.type, "can only concatenate \(v.typeName) (not \"str\") to \(v.typeName)")
            }
            return .string(try indent(text, width: arg(0, "width") ?? .int(4),
                                      first: arg(1, "first")?.truthy ?? false, blank: arg(2, "blank")?.truthy ?? false))
        case "tojson": return .string(try toJSON(v, args))
        case "map": return try map(v, args, evaluator)
        case "select", "reject":
            // jinja2's select/reject/map start with `if value:`: a falsy value yields nothing.
            let items = v.truthy ? try iterate(v, name) : []
            let keep = name == "select"
            return generator(try items.filter { try passes($0, args.positional, from: 0, evaluator) == keep })
        case "selectattr", "rejectattr":
            guard let attribute = args.positional.first else { throw TemplateError(.type, "\(name) needs an attribute name") }
            let get = try attributeGetter(attribute)
            let keep = name == "selectattr"
            return generator(try (v.truthy ? iterate(v, name) : []).filter { try passes(try get($0), args.positional, from: 1, evaluator) == keep })
        case "unique":
            try args.check(name, names: ["case_sensitive", "attribute"])
            let caseSensitive = arg(0, "case_sensitive")?.truthy ?? false
            let get = try arg(1, "attribute").flatMap { $0.isNone ? nil : try attributeGetter($0) }
            var seen: [Value] = [], out: [Value] = []
            for item in try iterate(v, name) {
                var key = try get?(item) ?? item
                if !caseSensitive, case .string(let s) = key { key = .string(StringMethods.lower(s)) }
                if case .list = key { throw TemplateError(.type, "unhashable type: 'list'") }
                if case .dict = key { throw TemplateError(.type, "unhashable type: 'dict'") }
                if !seen.contains(where: { pythonEquals($0, key) }) { seen.append(key); out.append(item) }
            }
            return generator(out)
        case "reverse":
            try args.check(name, names: [])
            if case .string(let s) = v { return .string(StringMethods.string(s.unicodeScalars.reversed())) }
            return generator(try iterate(v, name).reversed())
        case "sort":
            try args.check(name, names: ["reverse", "case_sensitive", "attribute"])
            let reverse = arg(0, "reverse")?.truthy ?? false
            let caseSensitive = arg(1, "case_sensitive")?.truthy ?? false
            let get = try arg(2, "attribute").flatMap { $0.isNone ? nil : try attributeGetter($0) }
            let items = try iterate(v, name)
            let keys = try items.map { item -> Value in
                let k = try get?(item) ?? item
                if !caseSensitive, case .string(let s) = k { return .string(StringMethods.lower(s)) }
                return k
            }
            let order = try stableSort(Array(items.indices)) { a, b in
                try pythonOrder("<", reverse ? keys[b] : keys[a], reverse ? keys[a] : keys[b])
            }
            return .list(order.map { items[$0] })
        default:
            throw TemplateError(.unsupported, "the filter '\(name)'")
        }
    }

    /// jinja2's `title` filter (not Python's `str.title`): every word split at `-`, whitespace
    /// and opening brackets gets its first character uppercased and the rest lowered.
    static func jinjaTitle(_ s: String) -> String {
        let v = Array(s.unicodeScalars)
        func isSeparator(_ c: Unicode.Scalar) -> Bool { c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || PythonFormat.isSpace(c) }
        var out = "", i = 0
        while i < v.count {
            let start = i
            let separator = isSeparator(v[i])
            while i < v.count && isSeparator(v[i]) == separator { i += 1 }
            let piece = Array(v[start..<i])
            if separator { out += StringMethods.string(piece) } else {
                out += StringMethods.upper(String(piece[0])) + StringMethods.lower(StringMethods.string(Array(piece.dropFirst())))
            }
        }
        return out
    }

    /// jinja2's attribute getter: "a.b.0" looks up items (item first, then attribute) per part.
    static func attributeGetter(_ attribute: Value) throws -> (Value) throws -> Value {
        let parts: [Value]
        switch attribute {
        case .string(let s): parts = s.split(separator: ".", omittingEmptySubsequences: false).map { p in Int(p).map(Value.int) ?? .string(String(p)) }
        case .int: parts = [attribute]
        default: throw TemplateError(.type, "attribute must be a string or an integer")
        }
        return { item in try parts.reduce(item) { try Access.item($0, $1) } }
    }

    /// select/reject: with no test name, the value's truthiness; else the named test and its arguments.
    static func passes(_ v: Value, _ spec: [Value], from k: Int, _ evaluator: Evaluator) throws -> Bool {
        guard k < spec.count else { return v.truthy }
        guard case .string(let test) = spec[k] else { throw TemplateError(.type, "test name must be a string") }
        return try Predicates.test(test, v, Array(spec[(k + 1)...]), evaluator)
    }

    static func map(_ v: Value, _ args: Arguments, _ evaluator: Evaluator) throws -> Value {
        let items = v.truthy ? try iterate(v, "map") : []
        if let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1 {
            let fallback = args.keyword.first { $0.0 == "default" }?.1
            let get = try attributeGetter(attribute)
            return generator(try items.map { item in
                let r = try get(item)
                if let fallback, !fallback.isNone, r.isUndefined { return fallback }
                return r
            })
        }
        guard case .string(let filter)? = args.positional.first else { throw TemplateError(.type, "map requires a filter argument") }
        let rest = Arguments(Array(args.positional.dropFirst()), args.keyword)
        return generator(try items.map { try apply(filter, $0, rest, evaluator) })
    }

    static func toInt(_ v: Value, default fallback: Value, base: Value?) throws -> Value {
        switch v {
        case .undefined: throw undefinedError(v)  // Undefined.__int__ raises
        case .int, .bool: return .int(v.integer!)
        case .double(let d):
            guard d.isFinite else { throw TemplateError(.type, "cannot convert float \(PythonFormat.floatRepr(d)) to integer") }
            guard abs(d) < 9.2e18 else { throw Arithmetic.overflow }
            return .int(Int(d))
        case .string(let s):
            let t = StringMethods.strip(s, chars: nil, leading: true, trailing: true)
            let radix = base?.integer ?? 10
            if let i = Int(t.hasPrefix("+") ? String(t.dropFirst()) : t, radix: radix) { return .int(i) }
            if let d = pythonFloat(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
            return fallback
        default:
            return fallback
        }
    }

    /// Python's `float(str)`: surrounding whitespace, "inf", "nan", "infinity" in any case.
    static func pythonFloat(_ s: String) -> Double? {
        let t = StringMethods.strip(s, chars: nil, leading: true, trailing: true)
        let lower = t.lowercased()
        let body = lower.hasPrefix("-") || lower.hasPrefix("+") ? String(lower.dropFirst()) : lower
        let negative = lower.hasPrefix("-")
        if body == "inf" || body == "infinity" { return negative ? -.infinity : .infinity }
        if body == "nan" { return .nan }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "-" || $0 == "+") }) else { return nil }
        return Double(t)
    }

    static func toFloat(_ v: Value) -> Value? {
        switch v {
        case .double: return v
        case .int, .bool: return .double(Double(v.integer!))
        case .string(let s): return pythonFloat(s).map(Value.double)
        default: return nil
        }
    }

    /// Python's `round(x, n)` (correctly rounded, ties to even on the exact binary value — the
    /// same rule as C's printf) or jinja's floor/ceil methods.
    static func round(_ v: Value, precision: Value?, method: Value?) throws -> Value {
        let p = precision?.integer ?? 0
        let m = try method.map(PythonFormat.str) ?? "common"
        guard p >= 0 else { throw TemplateError(.unsupported, "round with a negative precision") }
        if let i = v.integer, m == "common" { return .int(i) }  // round(int or bool, n) is an int
        guard let x = v.numeric else { throw TemplateError(.type, "type \(v.typeName) doesn't define __round__ method") }
        switch m {
        case "common":
            guard x.isFinite else { return .double(x) }
            return .double(Double(String(format: "%.\(p)f", x)) ?? x)
        case "floor", "ceil":
            let scale = pow(10, Double(p))
            return .double((m == "floor" ? (x * scale).rounded(.down) : (x * scale).rounded(.up)) / scale)
        default:
            throw TemplateError(.type, "method must be common, ceil or floor")
        }
    }

    /// jinja2 3.1's `indent`.
    static func indent(_ s: String, width: Value, first: Bool, blank: Bool) throws -> String {
        let unit: String
        if case .string(let u) = width { unit = u } else {
            guard let w = width.integer else { throw TemplateError(.type, "indent width must be an int or a string") }
            unit = String(repeating: " ", count: max(0, w))
        }
        // Python appends "\n" then uses splitlines(), which also splits at \r, \x0b, \u2028 etc.
        let lines = Lexer.normalizeNewlines(s + "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { StringMethods.string(Array($0)) }
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + unit)
        } else {
            rv = lines[0]
            if lines.count > 1 {
                rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : unit + $0 }.joined(separator: "\n")
            }
        }
        return first ? unit + rv : rv
    }

    /// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
    static func toJSON(_ v: Value, _ args: Arguments) throws -> String {
        try args.check("tojson", names: ["ensure_ascii", "indent", "separators", "sort_keys"])
        let ensureASCII = args.value(at: 0, named: "ensure_ascii")?.truthy ?? false
        var indent: String? = nil
        switch args.value(at: 1, named: "indent") {
        case nil, .none?: indent = nil
        case .string(let s)?: indent = s
        case let w?:
            guard let n = w.integer else { throw TemplateError(.type, "indent must be an int or a string") }
            indent = String(repeating: " ", count: max(0, n))
        }
        var separators: (String, String)? = nil
        if let sep = args.value(at: 2, named: "separators"), !sep.isNone {
            guard let pair = sep.iterationItems, pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                throw TemplateError(.type, "separators must be a pair of strings")
            }
            separators = (a, b)
        }
        let sortKeys = args.value(at: 3, named: "sort_keys")?.truthy ?? false
        let text = try JSONDump.dumps(v, JSONDumpOptions(indent: indent, separators: separators, sortKeys: sortKeys))
        return ensureASCII ? asciiEscaped(text) : text
    }

    /// ensure_ascii=True: every non-ASCII character as \uXXXX (UTF-16 units, so pairs above U+FFFF).
    static func asciiEscaped(_ json: String) -> String {
        var out = ""
        for c in json.unicodeScalars {
            if c.isASCII { out.unicodeScalars.append(c); continue }
            for unit in String(c).utf16 { out += "\\u" + PythonFormat.hex(UInt32(unit), width: 4) }
        }
        return out
    }

    /// A stable merge sort whose comparison may throw (Python's sort raises on mixed types).
    static func stableSort(_ a: [Int], _ less: (Int, Int) throws -> Bool) throws -> [Int] {
        if a.count <= 1 { return a }
        let mid = a.count / 2
        let l = try stableSort(Array(a[..<mid]), less), r = try stableSort(Array(a[mid...]), less)
        var out: [Int] = [], i = 0, j = 0
        out.reserveCapacity(a.count)
        while i < l.count && j < r.count {
            if try less(r[j], l[i]) { out.append(r[j]); j += 1 } else { out.append(l[i]); i += 1 }
        }
        return out + l[i...] + r[j...]
    }
}
