/// jinja2's compile-time constant folding, reproduced because it changes a few results: the
/// optimizer evaluates constant subexpressions once (slices through `environment.getitem`, so a
/// failed slice is undefined rather than a TypeError) and keeps a result only when Python can
/// write it back as a literal; an output `{{ … }}` that is constant as a whole is rendered at
/// compile time even when its value is undefined. `{{ 0[1:] }}` renders "", `{{ x[1:] }}` with
/// x = 0 raises.
enum ConstantFolding {
    static func fold(_ e: Expr, whole: Bool) -> Expr {
        let folded = foldChildren(e)
        if isLiteral(folded) { return folded }
        let evaluator = Evaluator(name: "", date: TemplateDate(year: 1970, month: 1, day: 1))
        evaluator.folding = true
        // jinja2's as_const: evaluation stops (and the runtime decides) at the first variable,
        // call or context filter it reaches, or at any error; `and`, `or` and `if` short-circuit
        // first, so `0.1[::-1] and x` is constant while `x and 0.1[::-1]` is not.
        guard let v = try? evaluator.eval(folded, Scope(parent: nil)) else { return folded }
        return whole || hasSafeRepr(v) ? .literal(v) : folded
    }

    static func isLiteral(_ e: Expr) -> Bool { if case .literal = e { return true }; return false }

    /// jinja2's `has_safe_repr`: values Python can put back into generated code as literals.
    static func hasSafeRepr(_ v: Value) -> Bool {
        switch v {
        case .none, .bool, .int, .double, .string, .range: return true
        case .list(let items), .tuple(let items): return items.allSatisfy(hasSafeRepr)
        case .dict(let d): return d.pairs.allSatisfy { hasSafeRepr($0.0) && hasSafeRepr($0.1) }
        default: return false
        }
    }

    private static func foldChildren(_ e: Expr) -> Expr {
        func f(_ x: Expr) -> Expr { fold(x, whole: false) }
        switch e {
        case .literal, .name: return e
        case .list(let items): return .list(items.map(f))
        case .tuple(let items): return .tuple(items.map(f))
        case .dict(let pairs): return .dict(pairs.map { (f($0.0), f($0.1)) })
        case let .getattr(base, attr): return .getattr(f(base), attr)
        case let .getitem(base, key): return .getitem(f(base), f(key))
        case let .slice(base, start, stop, step): return .slice(f(base), start: start.map(f), stop: stop.map(f), step: step.map(f))
        case let .call(callee, args, kwargs): return .call(f(callee), args: args.map(f), kwargs: kwargs.map { ($0.0, f($0.1)) })
        case let .filter(base, name, args, kwargs):
            return .filter(f(base), name: name, args: args.map(f), kwargs: kwargs.map { ($0.0, f($0.1)) })
        case let .test(base, name, args, negated): return .test(f(base), name: name, args: args.map(f), negated: negated)
        case let .unary(op, x): return .unary(op, f(x))
        case let .binary(op, a, b): return .binary(op, f(a), f(b))
        case let .compare(first, ops): return .compare(f(first), ops.map { ($0.0, f($0.1)) })
        case let .and(a, b): return .and(f(a), f(b))
        case let .or(a, b): return .or(f(a), f(b))
        case .not(let x): return .not(f(x))
        case let .conditional(test, then, otherwise):
            return .conditional(test: f(test), then: f(then), otherwise: otherwise.map(f))
        case let .located(inner, line):
            let folded = foldChildren(inner)
            return .located(folded, line: line)
        }
    }
}
