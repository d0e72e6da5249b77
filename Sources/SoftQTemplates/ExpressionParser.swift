/// Expressions, with jinja2's precedence (lowest first): conditional `a if c else b`, `or`, `and`,
/// `not`, comparisons (chained, `in`, `not in`), `+ -`, `~`, `* / // %`, `**` (left-associative,
/// as in jinja2), unary `- +`, then postfix `.attr`, `[index]`, calls, and `|filter` / `is test`
/// (which bind tighter than every binary operator: `a + b | trim` is `a + (b | trim)`).
extension Parser {
    func tupleEnd(_ extraEnd: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    /// jinja2's `parse_tuple`: `a, b` makes a tuple without parentheses.
    mutating func parseTuple(withCondexpr: Bool = true, extraEnd: Set<String> = [], explicitParentheses: Bool = false) throws -> Expr {
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if tupleEnd(extraEnd) { break }
            items.append(withCondexpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw error("expected an expression, got \(describe(current))") }
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws -> Expr {
        var e = try parseOr()
        while isName("if") {
            next()
            let test = try parseOr()
            let otherwise: Expr? = skipName("else") ? try parseExpression() : nil
            e = .conditional(test: test, then: e, otherwise: otherwise)
        }
        return e
    }

    mutating func parseOr() throws -> Expr {
        var e = try parseAnd()
        while skipName("or") { e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws -> Expr {
        var e = try parseNot()
        while skipName("and") { e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws -> Expr {
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> Expr {
        let l = line
        let first = try parseMath1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                next()
                ops.append((o, try parseMath1()))
            } else if isName("in") {
                next()
                ops.append(("in", try parseMath1()))
            } else if isName("not"), i + 1 < tokens.count, case .name("in") = tokens[i + 1].kind {
                next(); next()
                ops.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .located(.compare(first, ops), line: l)
    }

    mutating func parseBinaryLevel(_ ops: [String], _ operand: (inout Parser) throws -> Expr) throws -> Expr {
        var e = try operand(&self)
        while case .op(let o) = current.kind, ops.contains(o) {
            let l = line
            next()
            e = .located(.binary(o, e, try operand(&self)), line: l)
        }
        return e
    }

    mutating func parseMath1() throws -> Expr { try parseBinaryLevel(["+", "-"]) { try $0.parseConcat() } }
    mutating func parseConcat() throws -> Expr { try parseBinaryLevel(["~"]) { try $0.parseMath2() } }
    mutating func parseMath2() throws -> Expr { try parseBinaryLevel(["*", "/", "//", "%"]) { try $0.parsePow() } }
    mutating func parsePow() throws -> Expr { try parseBinaryLevel(["**"]) { try $0.parseUnary() } }

    mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        let l = line
        var e: Expr
        if skipOp("-") {
            e = .located(.unary("-", try parseUnary(withFilter: false)), line: l)
        } else if skipOp("+") {
            e = .located(.unary("+", try parseUnary(withFilter: false)), line: l)
        } else {
            e = try parsePrimary()
        }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpr(e) }
        return e
    }

    mutating func parsePrimary() throws -> Expr {
        let l = line
        switch current.kind {
        case .name(let n):
            next()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .located(.name(n), line: l)
            }
        case .string(var s):
            next()
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind { s += more; next() }
            return .literal(.string(s))
        case .integer(let v):
            next()
            return .literal(.int(v))
        case .float(let v):
            next()
            return .literal(.double(v))
        case .op("("):
            next()
            let e = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return e
        case .op("["):
            next()
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            next()
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
            }
            try expectOp("}")
            return .located(.dict(pairs), line: l)
        default:
            throw error("unexpected \(describe(current))")
        }
    }

    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            let l = line
            if skipOp(".") {
                switch current.kind {
                case .name(let n):
                    next()
                    e = .located(.getattr(e, n), line: l)
                case .integer(let v):
                    next()
                    e = .located(.getitem(e, .literal(.int(v))), line: l)
                default:
                    throw error("expected name or number after '.', got \(describe(current))")
                }
            } else if skipOp("[") {
                e = .located(try parseSubscript(e), line: l)
                try expectOp("]")
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// `x[i]`, `x[a:b:c]`, `x[i, j]` (a tuple key).
    mutating func parseSubscript(_ base: Expr) throws -> Expr {
        var parts: [Expr] = []
        var slice: Expr? = nil
        while !isOp("]") {
            if !parts.isEmpty || slice != nil { try expectOp(",") }
            let start: Expr? = isOp(":") ? nil : try parseExpression()
            if !isOp(":") {
                guard let start else { throw error("expected an index") }
                parts.append(start)
            } else {
                next()
                let stop: Expr? = (isOp(":") || isOp("]") || isOp(",")) ? nil : try parseExpression()
                var step: Expr? = nil
                if skipOp(":") { step = (isOp("]") || isOp(",")) ? nil : try parseExpression() }
                slice = .slice(base, start: start, stop: stop, step: step)
            }
            if !isOp(",") { break }
        }
        if let slice {
            guard parts.isEmpty else { throw error("multi-dimensional slicing", .unsupported) }
            return slice
        }
        guard !parts.isEmpty else { throw error("expected an index") }
        return .getitem(base, parts.count == 1 ? parts[0] : .tuple(parts))
    }

    /// `(a, b, k=v)`.
    mutating func parseCallArguments() throws -> ([Expr], [(String, Expr)]) {
        try expectOp("(")
        var args: [Expr] = []
        var kwargs: [(String, Expr)] = []
        while !isOp(")") {
            if !args.isEmpty || !kwargs.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            if isOp("*") || isOp("**") { throw error("*args / **kwargs in calls", .unsupported) }
            if case .name(let n) = current.kind, i + 1 < tokens.count, case .op("=") = tokens[i + 1].kind {
                next(); next()
                kwargs.append((n, try parseExpression()))
            } else {
                guard kwargs.isEmpty else { throw error("positional argument after keyword argument") }
                args.append(try parseExpression())
            }
        }
        try expectOp(")")
        return (args, kwargs)
    }

    mutating func parseCall(_ callee: Expr) throws -> Expr {
        let l = line
        let (args, kwargs) = try parseCallArguments()
        return .located(.call(callee, args: args, kwargs: kwargs), line: l)
    }

    mutating func parseFilterExpr(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if isOp("|") {
                let chain = try parseFilterChain(startInline: false)
                for f in chain { e = .located(.filter(e, name: f.name, args: f.args, kwargs: f.kwargs), line: f.line) }
            } else if isName("is") {
                e = try parseTest(e)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// `| name(args) | name …`; with startInline the first filter has no leading `|`.
    mutating func parseFilterChain(startInline: Bool) throws -> [FilterCall] {
        var out: [FilterCall] = []
        var inline = startInline
        while isOp("|") || inline {
            if !inline { next() }
            inline = false
            let l = line
            var n = try expectName()
            while skipOp(".") { n += "." + (try expectName()) }
            try checkKnown(n, "filter", implemented: Filters.implemented, jinjaOnly: Filters.jinjaOnly, line: l)
            var args: [Expr] = [], kwargs: [(String, Expr)] = []
            if isOp("(") { (args, kwargs) = try parseCallArguments() }
            out.append(FilterCall(name: n, args: args, kwargs: kwargs, line: l))
        }
        return out
    }

    mutating func parseTest(_ base: Expr) throws -> Expr {
        let l = line
        next()  // `is`
        let negated = skipName("not")
        var n = try expectName()
        while skipOp(".") { n += "." + (try expectName()) }
        try checkKnown(n, "test", implemented: Predicates.names, jinjaOnly: Predicates.jinjaOnly, line: l)
        var args: [Expr] = []
        if isOp("(") {
            let (a, kw) = try parseCallArguments()
            guard kw.isEmpty else { throw error("keyword arguments to tests", .unsupported) }
            args = a
        } else {
            switch current.kind {
            case .name(let w) where !["else", "or", "and"].contains(w):
                if w == "is" { throw error("you cannot chain multiple tests with is") }
                args = [try parsePostfix(try parsePrimary())]
            case .string, .integer, .float, .op("("), .op("["), .op("{"):
                args = [try parsePostfix(try parsePrimary())]
            default: break
            }
        }
        return .located(.test(base, name: n, args: args, negated: negated), line: l)
    }

    /// jinja2 checks filter and test names when it compiles a template; so does this parser.
    /// A name jinja2 knows but this interpreter lacks is `.unsupported`; any other is `.syntax`.
    func checkKnown(_ n: String, _ what: String, implemented: Set<String>, jinjaOnly: Set<String>, line l: Int) throws {
        if implemented.contains(n) { return }
        if jinjaOnly.contains(n) { throw TemplateError(.unsupported, "the \(what) '\(n)'", template: name, line: l) }
        throw TemplateError(.syntax, "no \(what) named '\(n)'", template: name, line: l)
    }
}
