import Foundation

/// Python's `==`: numbers compare by value across bool/int/float, strings by code points (not by
/// Swift's canonical equivalence), lists never equal tuples, dicts ignore key order, and two
/// undefined values are equal (jinja2's `Undefined.__eq__`).
func pythonEquals(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
    case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
        return x.count == y.count && zip(x, y).allSatisfy { pythonEquals($0, $1) }
    case let (.dict(x), .dict(y)):
        return x.pairs.count == y.pairs.count && x.pairs.allSatisfy { k, v in y[k].map { pythonEquals(v, $0) } ?? false }
    case (.range, .range):
        return pythonEquals(.list(a.iterationItems ?? []), .list(b.iterationItems ?? []))
    case let (.namespace(x), .namespace(y)): return x === y
    case let (.macro(x), .macro(y)): return x === y
    case let (.loop(x), .loop(y)): return x === y
    default:
        if let x = a.integer, let y = b.integer { return x == y }
        if let x = a.numeric, let y = b.numeric { return numericEquals(a, x, b, y) }
        return false
    }
}

/// int == float compares exactly in Python; doubles cannot hold every Int, so compare carefully.
private func numericEquals(_ a: Value, _ x: Double, _ b: Value, _ y: Double) -> Bool {
    if case .double = a, case .double = b { return x == y }
    let (i, d) = a.integer != nil ? (a.integer!, y) : (b.integer!, x)
    guard d.isFinite, d == d.rounded(), abs(d) < 9.3e18 else { return false }
    return Int(d) == i
}

/// The undefined error Python raises when an undefined value is used in an operation.
func undefinedError(_ v: Value) -> TemplateError {
    if case .undefined(let message) = v { return TemplateError(.undefined, message) }
    return TemplateError(.undefined, "undefined value")
}

/// Python's `<`, `<=`, `>`, `>=`.
func pythonOrder(_ op: String, _ a: Value, _ b: Value) throws -> Bool {
    if a.isUndefined { throw undefinedError(a) }
    if b.isUndefined { throw undefinedError(b) }
    let c: Int
    switch (a, b) {
    case let (.string(x), .string(y)):
        c = x.utf8.elementsEqual(y.utf8) ? 0 : (x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1)
    case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
        // Lexicographic: the first unequal pair decides, else the shorter sequence is smaller.
        for (p, q) in zip(x, y) where !pythonEquals(p, q) {
            return try pythonOrder(op, p, q)
        }
        c = x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    default:
        if let x = a.integer, let y = b.integer {
            c = x == y ? 0 : (x < y ? -1 : 1)
        } else if let x = a.numeric, let y = b.numeric {
            if x.isNaN || y.isNaN { return false }
            c = x == y ? 0 : (x < y ? -1 : 1)
        } else {
            throw TemplateError(.type, "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }
    switch op {
    case "<": return c < 0
    case "<=": return c <= 0
    case ">": return c > 0
    default: return c >= 0
    }
}

/// Python's `item in container`.
func pythonContains(_ container: Value, _ item: Value) throws -> Bool {
    switch container {
    case .undefined: return false
    case .string(let s):
        guard case .string(let needle) = item else {
            throw TemplateError(.type, "'in <string>' requires string as left operand, not \(item.typeName)")
        }
        return needle.isEmpty || Array(s.utf8).firstRange(of: Array(needle.utf8)) != nil
    case .list(let a), .tuple(let a), .view(_, let a): return a.contains { pythonEquals($0, item) }
    case .dict(let d):
        switch item {
        case .list, .dict, .view: throw TemplateError(.type, "unhashable type: '\(item.typeName)'")
        default: return d[item] != nil
        }
    case .range: return (container.iterationItems ?? []).contains { pythonEquals($0, item) }
    default:
        throw TemplateError(.type, "argument of type '\(container.typeName)' is not iterable")
    }
}

enum Arithmetic {
    static func unary(_ op: String, _ v: Value) throws -> Value {
        switch v {
        case .undefined: throw undefinedError(v)
        case .double(let d): return .double(op == "-" ? -d : d)
        default:
            guard let i = v.integer else { throw TemplateError(.type, "bad operand type for unary \(op): '\(v.typeName)'") }
            if op == "+" { return .int(i) }
            guard i != Int.min else { throw overflow }
            return .int(-i)
        }
    }

    static let overflow = TemplateError(.unsupported, "integer result beyond 64 bits (Python would use a big integer)")

    static func binary(_ op: String, _ a: Value, _ b: Value) throws -> Value {
        if op == "~" { return .string(try PythonFormat.str(a) + PythonFormat.str(b)) }
        if a.isUndefined { throw undefinedError(a) }
        if b.isUndefined { throw undefinedError(b) }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .list(x), .list(y)): return .list(x + y)
        case let ("+", .tuple(x), .tuple(y)): return .tuple(x + y)
        case let ("*", .string(s), _): if let n = b.integer { return .string(try repeatString(s, n)) }
        case let ("*", _, .string(s)): if let n = a.integer { return .string(try repeatString(s, n)) }
        case let ("*", .list(x), _): if let n = b.integer { return .list(try repeatItems(x, n)) }
        case let ("*", _, .list(x)): if let n = a.integer { return .list(try repeatItems(x, n)) }
        case let ("*", .tuple(x), _): if let n = b.integer { return .tuple(try repeatItems(x, n)) }
        case let ("*", _, .tuple(x)): if let n = a.integer { return .tuple(try repeatItems(x, n)) }
        case let ("%", .string(format), _):
            // printf-style formatting. Without a `%` directive Python returns the text unchanged
            // for an empty tuple or a mapping-like argument and raises otherwise; real
            // formatting is refused.
            guard !format.contains("%") else { throw TemplateError(.unsupported, "printf-style string formatting with '%'") }
            switch b {
            case .tuple(let items) where items.isEmpty: return a
            case .dict, .list, .string: if case .string = b { break }; return a
            default: break
            }
            throw TemplateError(.type, "not all arguments converted during string formatting")
        default: break
        }
        if let x = a.integer, let y = b.integer { return try integerOp(op, x, y) }
        if let x = a.numeric, let y = b.numeric { return try floatOp(op, x, y) }
        if op == "+", case .string = a {
            throw TemplateError(.type, "can only concatenate str (not \"\(b.typeName)\") to str")
        }
        throw TemplateError(.type, "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    /// Repetition beyond this many elements is refused (Python would try, and run out of memory).
    static let maxRepetition = 100_000_000

    static func repeatString(_ s: String, _ n: Int) throws -> String {
        guard n > 0 else { return "" }
        guard s.utf8.count.multipliedReportingOverflow(by: n).partialValue <= maxRepetition, s.utf8.count <= maxRepetition / n
        else { throw TemplateError(.unsupported, "a repeated string longer than \(maxRepetition) bytes") }
        return String(repeating: s, count: n)
    }

    static func repeatItems(_ x: [Value], _ n: Int) throws -> [Value] {
        guard n > 0 else { return [] }
        guard x.count <= maxRepetition / n else { throw TemplateError(.unsupported, "a repeated sequence longer than \(maxRepetition) items") }
        return Array([[Value]](repeating: x, count: n).joined())
    }

    static func integerOp(_ op: String, _ x: Int, _ y: Int) throws -> Value {
        func checked(_ r: (Int, Bool)) throws -> Value { if r.1 { throw overflow }; return .int(r.0) }
        switch op {
        case "+": return try checked(x.addingReportingOverflow(y))
        case "-": return try checked(x.subtractingReportingOverflow(y))
        case "*": return try checked(x.multipliedReportingOverflow(by: y))
        case "/":
            guard y != 0 else { throw TemplateError(.zeroDivision, "division by zero") }
            return .double(Double(x) / Double(y))
        case "//", "%":
            guard y != 0 else { throw TemplateError(.zeroDivision, "integer division or modulo by zero") }
            // Python floors the quotient, so the remainder takes the divisor's sign.
            var q = x / y, r = x % y
            if r != 0 && ((r < 0) != (y < 0)) { q -= 1; r += y }
            return .int(op == "//" ? q : r)
        case "**":
            if y < 0 { return try floatOp(op, Double(x), Double(y)) }
            var result = 1, base = x, e = y
            while e > 0 {
                if e & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)).integer! }
                e >>= 1
                if e > 0 { base = try checked(base.multipliedReportingOverflow(by: base)).integer! }
            }
            return .int(result)
        default:
            throw TemplateError(.syntax, "unknown operator \(op)")
        }
    }

    /// Python's float arithmetic, including `float_divmod` for `//` and `%`.
    static func floatOp(_ op: String, _ x: Double, _ y: Double) throws -> Value {
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw TemplateError(.zeroDivision, "float division by zero") }
            return .double(x / y)
        case "//", "%":
            guard y != 0 else { throw TemplateError(.zeroDivision, op == "%" ? "float modulo" : "float floor division by zero") }
            var mod = fmod(x, y)
            var div = (x - mod) / y
            if mod != 0 {
                if (y < 0) != (mod < 0) { mod += y; div -= 1 }
            } else {
                mod = copysign(0, y)
            }
            var floorDiv: Double
            if div != 0 {
                floorDiv = div.rounded(.down)
                if div - floorDiv > 0.5 { floorDiv += 1 }
            } else {
                floorDiv = copysign(0, x / y)
            }
            return .double(op == "//" ? floorDiv : mod)
        case "**":
            if x == 0 && y < 0 { throw TemplateError(.zeroDivision, "0.0 cannot be raised to a negative power") }
            if x < 0 && y != y.rounded() { throw TemplateError(.unsupported, "a negative number to a fractional power (a complex number in Python)") }
            return .double(pow(x, y))
        default:
            throw TemplateError(.syntax, "unknown operator \(op)")
        }
    }
}
