/// Walks the statement tree and writes the output, with jinja2's scoping: every `for` iteration,
/// macro call and block `set` runs in a fresh child scope, so assignments inside do not leak out.
final class Evaluator {
    let name: String
    let date: TemplateDate
    private var macroDepth = 0
    /// Set while ConstantFolding evaluates at parse time, where slices follow jinja2's optimizer.
    var folding = false
    /// When set, `{% generation %}` bodies written to the top-level output are recorded here, in
    /// Unicode scalars (Python's string indices), as transformers' assistant masks record them.
    var generationSpans: [Range<Int>]? = nil
    /// How many nested buffers (macro bodies, block sets, filter blocks) are being rendered.
    private var bufferDepth = 0

    /// Renders into a fresh buffer, as macro calls and block sets do.
    private func renderNested(_ nodes: [Node], _ scope: Scope) throws -> String {
        bufferDepth += 1
        defer { bufferDepth -= 1 }
        var text = ""
        try render(nodes, scope, into: &text)
        return text
    }

    /// The scopes that hold a macro: each macro keeps its defining scope (its closure), so the
    /// two reference each other and ARC never frees them; `releaseMacroScopes` breaks the cycles.
    private var macroScopes: [Scope] = []

    /// Empties every scope a macro was defined in, once rendering is over (the output is a
    /// string: no value of the render outlives it). Without this each render of a template that
    /// defines a macro leaked its scopes (found by FuzzChatTemplate).
    func releaseMacroScopes() {
        for scope in macroScopes { scope.variables.removeAll() }
        macroScopes.removeAll()
    }

    init(name: String, date: TemplateDate) {
        self.name = name
        self.date = date
    }

    enum Flow { case normal, breakLoop, continueLoop }

    func located<T>(_ line: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as TemplateError { throw e.located(template: name, line: line) }
    }

    @discardableResult
    func render(_ nodes: [Node], _ scope: Scope, into out: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let s):
                out += s
            case let .output(e, line):
                let v = try eval(e, scope)
                out += try located(line) { try PythonFormat.str(v) }
            case let .ifChain(branches, otherwise, _):
                var taken = false
                for (condition, body) in branches where try eval(condition, scope).truthy {
                    taken = true
                    let flow = try render(body, scope, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try render(otherwise, scope, into: &out)
                    if flow != .normal { return flow }
                }
            case let .forLoop(target, iterable, filter, body, otherwise, line):
                let flow = try renderFor(target, iterable, filter, body, otherwise, line, scope, &out)
                if flow != .normal { return flow }
            case let .set(target, e, line):
                let v = try eval(e, scope)
                try located(line) { try assign(target, v, scope) }
            case let .setBlock(target, body, filters, line):
                var v = Value.string(try renderNested(body, Scope(parent: scope)))
                for f in filters { v = try applyFilter(f, to: v, scope) }
                try located(line) { try assign(target, v, scope) }
            case let .macro(macroName, parameters, body, line):
                scope.variables[macroName] = .macro(Macro(name: macroName, parameters: parameters, body: body, closure: scope, line: line))
                macroScopes.append(scope)
            case let .callBlock(call, parameters, body, line):
                guard case let .located(.call(callee, args, kwargs), callLine) = call else {
                    throw TemplateError(.syntax, "expected a call", template: name, line: line)
                }
                let caller = Value.builtin(.caller(CallerBody(parameters: parameters, body: body, scope: scope)))
                let f = try eval(callee, scope)
                let a = try args.map { try eval($0, scope) }
                let kw = try kwargs.map { ($0.0, try eval($0.1, scope)) }
                out += try located(callLine) {
                    guard case .macro(let m) = f else { throw TemplateError(.type, "{% call %} needs a macro, got \(f.typeName)") }
                    return try PythonFormat.str(try callMacro(m, a, kw, caller: caller))
                }
            case let .filterBlock(filters, body, _):
                var v = Value.string(try renderNested(body, Scope(parent: scope)))
                for f in filters { v = try applyFilter(f, to: v, scope) }
                out += try PythonFormat.str(v)
            case .breakLoop(let line):
                guard loopDepth > 0 else { throw TemplateError(.syntax, "'break' outside a loop", template: name, line: line) }
                return .breakLoop
            case .continueLoop(let line):
                guard loopDepth > 0 else { throw TemplateError(.syntax, "'continue' outside a loop", template: name, line: line) }
                return .continueLoop
            case let .generation(body, line):
                guard generationSpans != nil else {
                    let flow = try render(body, scope, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                // transformers measures spans against the top-level output only.
                guard bufferDepth == 0 else {
                    throw TemplateError(.unsupported, "generation spans of a {% generation %} inside a macro or block set",
                                        template: name, line: line)
                }
                let start = out.unicodeScalars.count
                let flow = try render(body, scope, into: &out)
                generationSpans?.append(start..<out.unicodeScalars.count)
                if flow != .normal { return flow }
            }
        }
        return .normal
    }

    private var loopDepth = 0

    /// Returns the flow of the `else` block, which belongs to the enclosing loop (a `break` there
    /// leaves the outer loop).
    private func renderFor(_ target: Target, _ iterable: Expr, _ filter: Expr?, _ body: [Node], _ otherwise: [Node],
                           _ line: Int, _ scope: Scope, _ out: inout String) throws -> Flow {
        let source = try eval(iterable, scope)
        var items = try located(line) { () throws -> [Value] in
            guard let items = source.iterationItems else { throw TemplateError(.type, "'\(source.typeName)' object is not iterable") }
            return items
        }
        if let filter {
            // `for x in xs if cond`: the condition sees the target; loop.length counts kept items.
            // jinja2's filter generator yields the target itself, so `for a, b in … if …` turns
            // each kept item into the tuple (a, b) (what loop.previtem/nextitem then show).
            var kept: [Value] = []
            for item in items {
                let s = Scope(parent: scope)
                try located(line) { try assign(target, item, s) }
                if try eval(filter, s).truthy { kept.append(Evaluator.pack(target, s)) }
            }
            items = kept
        }
        // jinja2 clears its "else" flag at the end of an iteration's body, so `else` runs unless
        // some iteration finished without `break` or `continue` — even after a `break`.
        var completed = false
        if !items.isEmpty {
            let state = LoopState(items: items)
            loopDepth += 1
            defer { loopDepth -= 1 }
            for (k, item) in items.enumerated() {
                state.index0 = k
                let s = Scope(parent: scope)
                try located(line) { try assign(target, item, s) }
                s.variables["loop"] = .loop(state)
                let flow = try render(body, s, into: &out)
                if flow == .breakLoop { break }
                if flow == .normal { completed = true }
            }
        }
        return completed ? .normal : try render(otherwise, Scope(parent: scope), into: &out)
    }

    /// The value of an assignment target just bound in `scope` (a tuple for `a, b`).
    static func pack(_ target: Target, _ scope: Scope) -> Value {
        switch target {
        case .name(let n): return scope.variables[n] ?? .undefined("'\(n)' is undefined")
        case .attribute(let ns, let attr): return .undefined("'\(ns).\(attr)' is not a loop target")
        case .tuple(let targets): return .tuple(targets.map { pack($0, scope) })
        }
    }

    func assign(_ target: Target, _ v: Value, _ scope: Scope) throws {
        switch target {
        case .name(let n):
            scope.variables[n] = v
        case .attribute(let nsName, let attr):
            guard case .namespace(let ns)? = scope.lookup(nsName) else {
                throw TemplateError(.type, "cannot assign attribute on non-namespace object")
            }
            if attr.hasPrefix("_") {
                throw TemplateError(.security, "namespaces cannot store underscore-prefixed attributes ('\(attr)')")
            }
            ns.attributes[.string(attr)] = v
        case .tuple(let targets):
            guard let items = v.isUndefined ? nil : v.iterationItems else {
                if v.isUndefined { throw undefinedError(v) }
                throw TemplateError(.type, "cannot unpack non-iterable \(v.typeName) object")
            }
            if items.count < targets.count {
                throw TemplateError(.type, "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            if items.count > targets.count {
                throw TemplateError(.type, "too many values to unpack (expected \(targets.count))")
            }
            for (t, item) in zip(targets, items) { try assign(t, item, scope) }
        }
    }

    // MARK: expressions

    func eval(_ e: Expr, _ scope: Scope) throws -> Value {
        switch e {
        case .located(let inner, let line):
            return try located(line) { try eval(inner, scope) }
        case .literal(let v):
            return v
        case .name(let n):
            if folding { throw TemplateError(.unsupported, "not a constant") }
            return scope.lookup(n) ?? .undefined("'\(n)' is undefined")
        case .list(let items):
            return .list(try items.map { try eval($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            var d = Dict()
            for (k, v) in pairs {
                let key = try eval(k, scope)
                switch key {
                case .list, .dict, .namespace, .undefined:
                    throw TemplateError(.type, "unhashable type: '\(key.typeName)'")
                default: d[key] = try eval(v, scope)
                }
            }
            return .dict(d)
        case let .getattr(base, attr):
            return try Access.attribute(try eval(base, scope), attr)
        case let .getitem(base, key):
            return try Access.item(try eval(base, scope), try eval(key, scope))
        case let .slice(base, start, stop, step):
            let b = try eval(base, scope)
            let bounds = (try start.map { try eval($0, scope) }, try stop.map { try eval($0, scope) }, try step.map { try eval($0, scope) })
            do {
                return try Access.slice(b, bounds.0, bounds.1, bounds.2)
            } catch let e as TemplateError where folding && e.kind == .type {
                // At compile time jinja2 slices through environment.getitem, which turns failure into undefined.
                return .undefined("'\(b.typeName) object' cannot be sliced")
            }
        case let .call(callee, args, kwargs):
            if folding { throw TemplateError(.unsupported, "not a constant") }
            let f = try eval(callee, scope)
            let a = try args.map { try eval($0, scope) }
            let kw = try kwargs.map { ($0.0, try eval($0.1, scope)) }
            return try call(f, a, kw)
        case .filter(let base, let filterName, let args, let kwargs):
            if folding && Filters.needContext.contains(filterName) { throw TemplateError(.unsupported, "not a constant") }
            return try applyFilter(FilterCall(name: filterName, args: args, kwargs: kwargs, line: 0), to: try eval(base, scope), scope)
        case let .test(base, testName, args, negated):
            let v = try eval(base, scope)
            let a = try args.map { try eval($0, scope) }
            return .bool(try Predicates.test(testName, v, a, self) != negated)
        case let .unary(op, operand):
            return try Arithmetic.unary(op, try eval(operand, scope))
        case let .binary(op, a, b):
            return try Arithmetic.binary(op, try eval(a, scope), try eval(b, scope))
        case let .compare(first, ops):
            var left = try eval(first, scope)
            for (op, rightExpr) in ops {
                let right = try eval(rightExpr, scope)
                let holds: Bool
                switch op {
                case "==": holds = pythonEquals(left, right)
                case "!=": holds = !pythonEquals(left, right)
                case "in": holds = try pythonContains(right, left)
                case "not in": holds = try !pythonContains(right, left)
                default: holds = try pythonOrder(op, left, right)
                }
                if !holds { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .and(a, b):
            let x = try eval(a, scope)
            return x.truthy ? try eval(b, scope) : x
        case let .or(a, b):
            let x = try eval(a, scope)
            return x.truthy ? x : try eval(b, scope)
        case .not(let a):
            return .bool(!(try eval(a, scope).truthy))
        case let .conditional(test, then, otherwise):
            if try eval(test, scope).truthy { return try eval(then, scope) }
            guard let otherwise else { return .undefined("the inline if-expression evaluated to false and no else section was defined.") }
            return try eval(otherwise, scope)
        }
    }

    func applyFilter(_ f: FilterCall, to v: Value, _ scope: Scope) throws -> Value {
        let a = try f.args.map { try eval($0, scope) }
        let kw = try f.kwargs.map { ($0.0, try eval($0.1, scope)) }
        return try located(f.line) { try Filters.apply(f.name, v, Arguments(a, kw), self) }
    }

    func call(_ f: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
        switch f {
        case .method(let receiver, let methodName):
            return try Methods.call(receiver.value, methodName, Arguments(args, kwargs))
        case .builtin(let b):
            return try Globals.call(b, Arguments(args, kwargs), self)
        case .macro(let m):
            return try callMacro(m, args, kwargs, caller: nil)
        case .undefined(let message):
            if message.hasPrefix("access to attribute") { throw TemplateError(.security, message) }
            throw TemplateError(.undefined, message)
        default:
            throw TemplateError(.type, "'\(f.typeName)' object is not callable")
        }
    }

    func callMacro(_ m: Macro, _ args: [Value], _ kwargs: [(String, Value)], caller: Value?) throws -> Value {
        guard args.count <= m.parameters.count else {
            throw TemplateError(.type, "macro '\(m.name)' takes not more than \(m.parameters.count) argument(s)")
        }
        let s = Scope(parent: m.closure)
        for (k, p) in m.parameters.enumerated() {
            if k < args.count {
                s.variables[p.name] = args[k]
            } else if let kw = kwargs.first(where: { $0.0 == p.name }) {
                s.variables[p.name] = kw.1
            } else if let d = p.defaultValue {
                s.variables[p.name] = try eval(d, s)
            } else {
                s.variables[p.name] = .undefined("parameter '\(p.name)' was not provided")
            }
        }
        for (k, _) in kwargs where !m.parameters.contains(where: { $0.name == k }) {
            throw TemplateError(.type, "macro '\(m.name)' takes no keyword argument '\(k)'")
        }
        // jinja2 gives every macro `varargs` and `kwargs`; extra arguments are refused above.
        s.variables["varargs"] = .tuple([])
        s.variables["kwargs"] = .dict(Dict())
        if let caller { s.variables["caller"] = caller }
        return try renderBody(m.body, s)
    }

    func callCaller(_ c: CallerBody, _ args: Arguments) throws -> Value {
        let s = Scope(parent: c.scope)
        for (k, p) in c.parameters.enumerated() {
            if let v = args.value(at: k, named: p.name) {
                s.variables[p.name] = v
            } else if let d = p.defaultValue {
                s.variables[p.name] = try eval(d, s)
            } else {
                s.variables[p.name] = .undefined("parameter '\(p.name)' was not provided")
            }
        }
        return try renderBody(c.body, s)
    }

    private func renderBody(_ body: [Node], _ s: Scope) throws -> Value {
        macroDepth += 1
        defer { macroDepth -= 1 }
        guard macroDepth < 64 else { throw TemplateError(.unsupported, "macro recursion deeper than 64 calls") }
        let savedDepth = loopDepth
        loopDepth = 0
        defer { loopDepth = savedDepth }
        return .string(try renderNested(body, s))
    }
}

/// Positional and keyword arguments of a filter, method or global call.
struct Arguments {
    let positional: [Value]
    let keyword: [(String, Value)]
    init(_ positional: [Value], _ keyword: [(String, Value)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    /// The argument at position k (counting after the filtered value), or passed by name.
    func value(at k: Int, named n: String) -> Value? {
        if k < positional.count { return positional[k] }
        return keyword.first { $0.0 == n }?.1
    }

    /// Refuses arguments beyond the signature, as Python's call would.
    func check(_ function: String, names: [String]) throws {
        if positional.count > names.count {
            throw TemplateError(.type, "\(function)() takes at most \(names.count) argument(s) (\(positional.count) given)")
        }
        for (k, _) in keyword where !names.contains(k) {
            throw TemplateError(.type, "\(function)() got an unexpected keyword argument '\(k)'")
        }
    }
}
