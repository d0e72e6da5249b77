/// Builds the statement tree from tokens, following jinja2 3.1's parser (`jinja2/parser.py`)
/// for the tags chat templates use. Tags this interpreter does not implement are errors.
struct Parser {
    var tokens: [Token]
    var i = 0
    let name: String

    init(tokens: [Token], name: String) {
        self.tokens = tokens
        self.name = name
    }

    var current: Token { tokens[i] }
    var line: Int { tokens[i].line }
    mutating func next() { if i < tokens.count - 1 { i += 1 } }

    func error(_ message: String, _ kind: TemplateError.Kind = .syntax) -> TemplateError {
        TemplateError(kind, message, template: name, line: line)
    }

    func isName(_ word: String) -> Bool { if case .name(word) = current.kind { return true }; return false }
    func isOp(_ op: String) -> Bool { if case .op(op) = current.kind { return true }; return false }

    mutating func skipName(_ word: String) -> Bool { if isName(word) { next(); return true }; return false }
    mutating func skipOp(_ op: String) -> Bool { if isOp(op) { next(); return true }; return false }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw error("expected '\(op)', got \(describe(current))") }
    }
    mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, got \(describe(current))") }
        next()
        return n
    }
    mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else { throw error("expected end of statement block, got \(describe(current))") }
        next()
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .data: return "template data"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .integer(let v): return "integer \(v)"
        case .float(let v): return "float \(v)"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    mutating func parseTemplate() throws -> [Node] {
        let (body, _) = try parseBody(until: [])
        return body
    }

    /// Statements up to a `{% <end> %}` tag whose name is in `ends`; returns that name, leaving
    /// the parser just after it (so `elif` can read its condition).
    mutating func parseBody(until ends: Set<String>) throws -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            switch current.kind {
            case .data(let text):
                nodes.append(.text(text))
                next()
            case .variableBegin:
                let l = line
                next()
                let e = try parseTuple()
                guard case .variableEnd = current.kind else { throw error("expected '}}', got \(describe(current))") }
                next()
                nodes.append(.output(ConstantFolding.fold(e, whole: true), line: l))
            case .blockBegin:
                next()
                if case .name(let n) = current.kind, ends.contains(n) {
                    next()
                    return (nodes, n)
                }
                nodes.append(try parseStatement())
            case .eof:
                if ends.isEmpty { return (nodes, nil) }
                throw error("unexpected end of template; expected one of \(ends.sorted().map { "'\($0)'" }.joined(separator: ", "))")
            default:
                throw error("unexpected \(describe(current))")
            }
        }
    }

    static let knownUnsupported: Set<String> = ["block", "extends", "include", "import", "from", "with", "autoescape",
                                                "do", "print", "trans"]

    mutating func parseStatement() throws -> Node {
        let l = line
        guard case .name(let keyword) = current.kind else { throw error("tag name expected, got \(describe(current))") }
        next()
        switch keyword {
        case "for": return try parseFor(line: l)
        case "if": return try parseIf(line: l)
        case "set": return try parseSet(line: l)
        case "macro": return try parseMacro(line: l)
        case "call": return try parseCall(line: l)
        case "filter":
            let filters = try parseFilterChain(startInline: true)
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: body, line: l)
        case "break":
            try expectBlockEnd()
            return .breakLoop(line: l)
        case "continue":
            try expectBlockEnd()
            return .continueLoop(line: l)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body, line: l)
        default:
            if Parser.knownUnsupported.contains(keyword) {
                throw TemplateError(.unsupported, "the '\(keyword)' tag", template: name, line: l)
            }
            throw TemplateError(.syntax, "encountered unknown tag '\(keyword)'", template: name, line: l)
        }
    }

    mutating func parseFor(line l: Int) throws -> Node {
        let target = try parseAssignTarget(withNamespace: false, extraEnd: ["in"])
        guard skipName("in") else { throw error("expected 'in' in for loop, got \(describe(current))") }
        let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        var filter: Expr? = nil
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw error("recursive for loops", .unsupported) }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endfor", "else"])
        var otherwise: [Node] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: l)
    }

    mutating func parseIf(line l: Int) throws -> Node {
        var branches: [(Expr, [Node])] = []
        var condition = try parseTuple(withCondexpr: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withCondexpr: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches, otherwise: otherwise, line: l)
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [], line: l)
            }
        }
    }

    mutating func parseSet(line l: Int) throws -> Node {
        let target = try parseAssignTarget(withNamespace: true, extraEnd: [])
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, line: l)
        }
        let filters = isOp("|") ? try parseFilterChain(startInline: false) : []
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, body: body, filters: filters, line: l)
    }

    mutating func parseMacro(line l: Int) throws -> Node {
        let macroName = try expectName()
        let parameters = try parseSignature()
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endmacro"])
        try expectBlockEnd()
        return .macro(name: macroName, parameters: parameters, body: body, line: l)
    }

    mutating func parseCall(line l: Int) throws -> Node {
        let parameters = isOp("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .located(.call, _) = call else { throw error("expected a call after 'call'") }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endcall"])
        try expectBlockEnd()
        return .callBlock(call: call, parameters: parameters, body: body, line: l)
    }

    /// `(a, b=1)` of a macro or call block.
    mutating func parseSignature() throws -> [Parameter] {
        try expectOp("(")
        var parameters: [Parameter] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let n = try expectName()
            let d: Expr? = skipOp("=") ? try parseExpression() : nil
            if d == nil, parameters.last?.defaultValue != nil { throw error("non-default argument follows default argument") }
            parameters.append(Parameter(name: n, defaultValue: d))
        }
        try expectOp(")")
        return parameters
    }

    /// `x`, `a, b`, `(a, b)` or (for `set`) `ns.attr`.
    mutating func parseAssignTarget(withNamespace: Bool, extraEnd: Set<String>) throws -> Target {
        var targets: [Target] = []
        var isTuple = false
        let parenthesised = skipOp("(")
        while true {
            if !targets.isEmpty { try expectOp(",") }
            if parenthesised ? isOp(")") : (tupleEnd(extraEnd) || isOp("=") || isOp("|")) { break }
            let n = try expectName()
            if withNamespace && targets.isEmpty && isOp(".") {
                next()
                return .attribute(namespace: n, attribute: try expectName())
            }
            if ["true", "false", "none", "True", "False", "None"].contains(n) { throw error("cannot assign to '\(n)'") }
            targets.append(.name(n))
            if isOp(",") { isTuple = true } else { break }
        }
        if parenthesised { try expectOp(")"); isTuple = true }
        if targets.isEmpty { throw error("expected an assignment target") }
        return isTuple ? .tuple(targets) : targets[0]
    }
}
