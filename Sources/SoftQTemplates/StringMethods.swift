/// Python's `str` methods, working on code points (Python's unit) rather than Swift characters.
enum StringMethods {
    typealias Scalars = [Unicode.Scalar]

    static func string(_ s: Scalars) -> String { var v = String.UnicodeScalarView(); v.append(contentsOf: s); return String(v) }

    static func argString(_ v: Value?, _ what: String) throws -> String? {
        switch v {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw TemplateError(.type, "\(what) arg must be None or str, not \(other.typeName)")
        }
    }

    static func call(_ s: String, _ name: String, _ args: Arguments) throws -> Value {
        let a = args.positional
        switch name {
        case "strip", "lstrip", "rstrip":
            try args.check(name, names: ["chars"])
            return .string(strip(s, chars: try argString(args.value(at: 0, named: "chars"), name),
                                 leading: name != "rstrip", trailing: name != "lstrip"))
        case "upper": return .string(upper(s))
        case "lower": return .string(lower(s))
        case "title": return .string(pythonTitle(s))
        case "capitalize": return .string(capitalize(s))
        case "startswith", "endswith":
            guard a.count == 1, args.keyword.isEmpty else { throw TemplateError(.unsupported, "\(name) with start/end positions") }
            let candidates: [Value]
            switch a[0] {
            case .string: candidates = [a[0]]
            case .tuple(let items): candidates = items
            default: throw TemplateError(.type, "\(name) first arg must be str or a tuple of str, not \(a[0].typeName)")
            }
            for c in candidates {
                guard case .string(let p) = c else { throw TemplateError(.type, "tuple for \(name) must only contain str") }
                let hit = name == "startswith" ? s.utf8.starts(with: p.utf8) : s.utf8.reversed().starts(with: p.utf8.reversed())
                if hit { return .bool(true) }
            }
            return .bool(false)
        case "split", "rsplit":
            try args.check(name, names: ["sep", "maxsplit"])
            let sep = try argString(args.value(at: 0, named: "sep"), name)
            let maxsplit = args.value(at: 1, named: "maxsplit")?.integer ?? -1
            return .list(try split(s, sep: sep, maxsplit: maxsplit, fromRight: name == "rsplit").map(Value.string))
        case "splitlines":
            guard a.isEmpty, args.keyword.isEmpty else { throw TemplateError(.unsupported, "splitlines(keepends)") }
            var lines = Lexer.normalizeNewlines(s + "\n").split(separator: "\n", omittingEmptySubsequences: false).map { string(Array($0)) }
            if s.isEmpty { lines = [] }
            return .list(lines.map(Value.string))
        case "replace":
            guard (2...3).contains(a.count), case .string(let old) = a[0], case .string(let new) = a[1] else {
                throw TemplateError(.type, "replace() takes two strings and an optional count")
            }
            return .string(replace(s, old, new, count: a.count == 3 ? (a[2].integer ?? -1) : -1))
        case "find", "rfind", "index", "rindex", "count":
            guard a.count == 1, args.keyword.isEmpty else { throw TemplateError(.unsupported, "\(name) with start/end positions") }
            guard case .string(let sub) = a[0] else { throw TemplateError(.type, "must be str, not \(a[0].typeName)") }
            let hay = Array(s.unicodeScalars), needle = Array(sub.unicodeScalars)
            let hits = occurrences(hay, needle)
            if name == "count" { return .int(hits.count) }
            let found = name.hasPrefix("r") ? (needle.isEmpty ? hay.count : allOccurrences(hay, needle).last) : hits.first
            if let found { return .int(found) }
            if name.hasSuffix("index") { throw TemplateError(.type, "substring not found") }
            return .int(-1)
        case "join":
            guard a.count == 1, let items = a[0].iterationItems else { throw TemplateError(.type, "can only join an iterable") }
            return .string(try items.enumerated().map { k, item in
                guard case .string(let t) = item else {
                    throw TemplateError(.type, "sequence item \(k): expected str instance, \(item.typeName) found")
                }
                return t
            }.joined(separator: s))
        case "format": return .string(try format(s, args))
        case "isdigit":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { [.decimal, .digit].contains($0.properties.numericType) })
        case "isalpha":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && isLetterCategory($0) })
        case "isspace":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PythonFormat.isSpace))
        default:
            throw TemplateError(.unsupported, "the method '\(name)' of str")
        }
    }

    static func isLetterCategory(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c) } ?? PythonFormat.isSpace(c) }
        let v = s.unicodeScalars
        var a = v.startIndex, b = v.endIndex
        if leading { while a < b && drop(v[a]) { a = v.index(after: a) } }
        if trailing { while b > a && drop(v[v.index(before: b)]) { b = v.index(before: b) } }
        return String(v[a..<b])
    }

    /// Non-overlapping match positions of needle in hay, left to right (Python's count/replace).
    static func occurrences(_ hay: Scalars, _ needle: Scalars) -> [Int] {
        if needle.isEmpty { return Array(0...hay.count) }
        var out: [Int] = [], i = 0
        while i + needle.count <= hay.count {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { out.append(i); i += needle.count } else { i += 1 }
        }
        return out
    }

    static func allOccurrences(_ hay: Scalars, _ needle: Scalars) -> [Int] {
        guard needle.count <= hay.count else { return [] }
        return (0...(hay.count - needle.count)).filter { hay[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let hay = Array(s.unicodeScalars), o = Array(old.unicodeScalars), n = Array(new.unicodeScalars)
        var hits = occurrences(hay, o)
        if count >= 0 { hits = Array(hits.prefix(count)) }
        var out: Scalars = [], i = 0
        for h in hits {
            out += hay[i..<h]
            out += n
            if o.isEmpty { if h < hay.count { out.append(hay[h]) }; i = h + 1 } else { i = h + o.count }
        }
        if i < hay.count { out += hay[i...] }
        return string(out)
    }

    static func split(_ s: String, sep: String?, maxsplit: Int, fromRight: Bool) throws -> [String] {
        var v = Array(s.unicodeScalars)
        if fromRight { v.reverse() }
        var parts: [Scalars] = []
        if let sep {
            var p = Array(sep.unicodeScalars)
            guard !p.isEmpty else { throw TemplateError(.type, "empty separator") }
            if fromRight { p.reverse() }
            var start = 0, i = 0
            while i + p.count <= v.count {
                if (maxsplit < 0 || parts.count < maxsplit) && v[i..<(i + p.count)].elementsEqual(p) {
                    parts.append(Array(v[start..<i])); i += p.count; start = i
                } else { i += 1 }
            }
            parts.append(Array(v[start...]))
        } else {
            var i = 0
            while i < v.count {
                while i < v.count && PythonFormat.isSpace(v[i]) { i += 1 }
                if i == v.count { break }
                if maxsplit >= 0 && parts.count == maxsplit {
                    parts.append(Array(v[i...])); break
                }
                let start = i
                while i < v.count && !PythonFormat.isSpace(v[i]) { i += 1 }
                parts.append(Array(v[start..<i]))
            }
        }
        if fromRight { parts = parts.reversed().map { $0.reversed() } }
        return parts.map(string)
    }

    /// Python's `str.upper()`: the full Unicode mapping per code point ("ß" → "SS").
    static func upper(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars { out += c.properties.uppercaseMapping }
        return out
    }

    /// Python's `str.lower()`: the full mapping per code point, with the one context rule Python
    /// applies — a capital sigma ending a word becomes final sigma "ς".
    static func lower(_ s: String) -> String {
        let v = Array(s.unicodeScalars)
        var out = ""
        for i in v.indices { out += lowerScalar(v, i) }
        return out
    }

    /// The lowercase of v[i], in the context of the whole string (for final sigma).
    static func lowerScalar(_ v: Scalars, _ i: Int) -> String {
        v[i] == "\u{03A3}" && isFinalSigma(v, i) ? "\u{03C2}" : v[i].properties.lowercaseMapping
    }

    /// Unicode's Final_Sigma: a cased letter before (skipping case-ignorable ones), none after.
    static func isFinalSigma(_ v: Scalars, _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && v[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && isCased(v[j]) else { return false }
        var k = i + 1
        while k < v.count && v[k].properties.isCaseIgnorable { k += 1 }
        return !(k < v.count && isCased(v[k]))
    }

    static func isCased(_ c: Unicode.Scalar) -> Bool {
        c.properties.isLowercase || c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter
    }

    /// Python's `str.title()`: a cased character after a cased one is lowered, others titlecased.
    static func pythonTitle(_ s: String) -> String {
        let v = Array(s.unicodeScalars)
        var out = "", previousCased = false
        for (i, c) in v.enumerated() {
            out += previousCased ? lowerScalar(v, i) : c.properties.titlecaseMapping
            previousCased = isCased(c)
        }
        return out
    }

    /// Python's `str.capitalize()`: the first character titlecased, the rest lowered.
    static func capitalize(_ s: String) -> String {
        let v = Array(s.unicodeScalars)
        guard let first = v.first else { return "" }
        return first.properties.titlecaseMapping + v.indices.dropFirst().map { lowerScalar(v, $0) }.joined()
    }

    /// `str.format` with `{}`, `{0}`, `{name}` and `{{`/`}}`; conversions and format specs are refused.
    static func format(_ s: String, _ args: Arguments) throws -> String {
        let v = Array(s.unicodeScalars)
        var out = "", i = 0, auto = 0
        while i < v.count {
            let c = v[i]
            if c == "{" {
                if i + 1 < v.count && v[i + 1] == "{" { out += "{"; i += 2; continue }
                guard let close = v[i...].firstIndex(of: "}") else { throw TemplateError(.type, "Single '{' encountered in format string") }
                let field = string(Array(v[(i + 1)..<close]))
                if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                    throw TemplateError(.unsupported, "format fields with conversions, specs or lookups ('{\(field)}')")
                }
                let value: Value?
                if field.isEmpty { value = auto < args.positional.count ? args.positional[auto] : nil; auto += 1 }
                else if let k = Int(field) { value = k < args.positional.count ? args.positional[k] : nil }
                else { value = args.keyword.first { $0.0 == field }?.1 }
                guard let value else { throw TemplateError(.type, "format: no argument for field '{\(field)}'") }
                out += try PythonFormat.str(value)
                i = close + 1
            } else if c == "}" {
                guard i + 1 < v.count && v[i + 1] == "}" else { throw TemplateError(.type, "Single '}' encountered in format string") }
                out += "}"; i += 2
            } else {
                out.unicodeScalars.append(c); i += 1
            }
        }
        return out
    }
}
