/// The global functions transformers' environment defines: jinja2's `range`, `namespace` and
/// `dict`, plus `raise_exception` and `strftime_now`. (`len` is not a jinja global.)
enum Globals {
    /// Built per rendering: values are not Sendable, so no shared static copy.
    static var all: [String: Value] {
        ["range": .builtin(.range), "namespace": .builtin(.namespace), "dict": .builtin(.dict),
         "raise_exception": .builtin(.raiseException), "strftime_now": .builtin(.strftimeNow)]
    }

    /// jinja2's sandbox refuses ranges longer than this (`MAX_RANGE`).
    static let maxRange = 100_000

    static func call(_ b: Builtin, _ args: Arguments, _ evaluator: Evaluator) throws -> Value {
        switch b {
        case .range:
            guard args.keyword.isEmpty, (1...3).contains(args.positional.count) else {
                throw TemplateError(.type, "range expected 1 to 3 integer arguments")
            }
            let ints = try args.positional.map { v -> Int in
                guard let i = v.integer else {
                    if v.isUndefined { throw undefinedError(v) }
                    throw TemplateError(.type, "'\(v.typeName)' object cannot be interpreted as an integer")
                }
                return i
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw TemplateError(.type, "range() arg 3 must not be zero") }
            let r = Value.range(start: start, stop: stop, step: step)
            if Value.rangeCount(r) > maxRange {
                throw TemplateError(.security, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
            }
            return r
        case .namespace, .dict:
            var d = Dict()
            if args.positional.count > 1 { throw TemplateError(.type, "\(b.name) expected at most 1 positional argument") }
            if let first = args.positional.first {
                switch first {
                case .dict(let src): d = src
                case .namespace(let ns): d = ns.attributes
                default:
                    for pair in first.iterationItems ?? [] {
                        guard let kv = pair.iterationItems, kv.count == 2 else {
                            throw TemplateError(.type, "\(b.name) needs a mapping or key/value pairs")
                        }
                        d[kv[0]] = kv[1]
                    }
                }
            }
            for (k, v) in args.keyword { d[.string(k)] = v }
            if case .namespace = b {
                for (k, _) in d.pairs {
                    if case .string(let s) = k, s.hasPrefix("_") {
                        throw TemplateError(.security, "namespaces cannot store underscore-prefixed attributes ('\(s)')")
                    }
                }
                return .namespace(Namespace(d))
            }
            return .dict(d)
        case .raiseException:
            let message = try args.positional.first.map(PythonFormat.str) ?? ""
            throw TemplateError(.raised, message)
        case .strftimeNow:
            guard args.keyword.isEmpty, args.positional.count == 1, case .string(let format) = args.positional[0] else {
                throw TemplateError(.type, "strftime_now takes one format string")
            }
            return .string(try evaluator.date.strftime(format))
        case .caller(let body):
            return try evaluator.callCaller(body, args)
        }
    }
}
