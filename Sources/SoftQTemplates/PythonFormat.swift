import Foundation

/// Python's `str()` and `repr()` of values: what `{{ x }}` prints for numbers, None, lists and dicts.
enum PythonFormat {
    /// Python's `str(x)`, which jinja2 uses to render `{{ x }}`. Objects Python would print with a
    /// memory address (functions, loop objects) are refused rather than printed differently.
    static func str(_ v: Value) throws -> String {
        switch v {
        case .undefined: return ""
        case .string(let s): return s
        default: return try repr(v)
        }
    }

    /// Python's `repr(x)`.
    static func repr(_ v: Value) throws -> String {
        switch v {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return floatRepr(d)
        case .string(let s): return stringRepr(s)
        case .list(let items): return "[" + (try items.map(repr).joined(separator: ", ")) + "]"
        case .tuple(let items):
            if items.count == 1 { return "(" + (try repr(items[0])) + ",)" }
            return "(" + (try items.map(repr).joined(separator: ", ")) + ")"
        case .dict(let d): return try dictRepr(d)
        case .view("generator", _):
            throw TemplateError(.unsupported, "printing a generator (Python prints its memory address); add '|list'")
        case let .view(kind, items): return kind + "([" + (try items.map(repr).joined(separator: ", ")) + "])"
        case let .range(start, stop, step):
            return step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))"
        case .namespace(let ns): return "<Namespace " + (try dictRepr(ns.attributes)) + ">"
        case .macro(let m): return "<Macro '\(m.name)'>"
        case .builtin(let b):
            throw TemplateError(.unsupported, "printing the function '\(b.name)' (Python prints its memory address)")
        case .method(_, let name):
            throw TemplateError(.unsupported, "printing the method '\(name)' (Python prints its memory address)")
        case .loop:
            throw TemplateError(.unsupported, "printing the loop object (Python prints its memory address)")
        }
    }

    static func dictRepr(_ d: Dict) throws -> String {
        "{" + (try d.pairs.map { try repr($0.0) + ": " + repr($0.1) }.joined(separator: ", ")) + "}"
    }

    /// Python's `repr(float)`: the shortest digits that round-trip (Swift prints the same digits),
    /// laid out as Python does — positional for exponents -4..<16 with a trailing ".0", else
    /// scientific with a signed two-digit exponent (`1e-05`, `1e+16`).
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (digits, point) = shortestDigits(abs(d))
        let sign = d < 0 ? "-" : ""
        let exponent = point - 1
        if exponent >= -4 && exponent < 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
            let cut = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let e = abs(exponent)
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
    }

    /// Decimal digits (no leading/trailing zeros) and point position p, with x = 0.digits × 10^p.
    static func shortestDigits(_ x: Double) -> (String, Int) {
        let text = "\(x)"  // Swift's shortest round-trip form, e.g. "1.5e-07", "123.25"
        var mantissa = Substring(text), exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0]), fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = Substring(intPart + fracPart)
        var point = intPart.count + exponent
        while digits.first == "0" { digits = digits.dropFirst(); point -= 1 }
        while digits.last == "0" { digits = digits.dropLast() }
        return (String(digits), point)
    }

    /// Python's `repr(str)`: single quotes unless the text has `'` and no `"`; escapes for the
    /// quote, backslash, \t \n \r, and \x/\u/\U for characters Python deems non-printable.
    static func stringRepr(_ s: String) -> String {
        let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if Character(scalar) == quote { out += "\\" + String(quote); continue }
                if isPrintable(scalar) { out.unicodeScalars.append(scalar); continue }
                let v = scalar.value
                if v <= 0xff { out += "\\x" + hex(v, width: 2) }
                else if v <= 0xffff { out += "\\u" + hex(v, width: 4) }
                else { out += "\\U" + hex(v, width: 8) }
            }
        }
        out.append(quote)
        return out
    }

    /// Python's `str.isprintable()` for one character: everything except the categories
    /// Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, but the ASCII space is printable.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        if c.value < 0x7f { return c.value >= 0x20 }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }

    /// Python's `str.isspace()` set: what `strip()`, `split()` and jinja's `trim` remove.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0d, 0x1c...0x20, 0x85, 0xa0, 0x1680, 0x2000...0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
            return true
        default:
            return false
        }
    }
}
