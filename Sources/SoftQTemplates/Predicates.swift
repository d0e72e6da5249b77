/// jinja2's tests (`x is defined`, `x is divisibleby 3`), with their Python meanings: a bool is a
/// number but not an integer; strings and dicts are sequences; undefined is iterable.
enum Predicates {
    static let names: Set<String> = [
        "defined", "undefined", "none", "string", "mapping", "sequence", "iterable", "number", "integer", "float",
        "boolean", "true", "false", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
        "greaterthan", ">", "ge", ">=", "odd", "even", "divisibleby", "in", "sameas", "callable",
    ]

    /// jinja2's other built-in tests: valid in a template, refused here.
    static let jinjaOnly: Set<String> = ["filter", "test", "lower", "upper", "escaped"]

    static func test(_ name: String, _ v: Value, _ args: [Value], _ evaluator: Evaluator) throws -> Bool {
        func arg() throws -> Value {
            guard args.count == 1 else { throw TemplateError(.type, "test '\(name)' takes exactly one argument") }
            return args[0]
        }
        func noArgs() throws {
            guard args.isEmpty else { throw TemplateError(.type, "test '\(name)' takes no arguments") }
        }
        switch name {
        case "defined": try noArgs(); return !v.isUndefined
        case "undefined": try noArgs(); return v.isUndefined
        case "none": try noArgs(); return v.isNone
        case "string": try noArgs(); if case .string = v { return true }; return false
        case "mapping": try noArgs(); if case .dict = v { return true }; return false
        case "sequence":
            try noArgs()
            switch v {
            case .string, .list, .tuple, .dict, .range, .undefined: return true
            default: return false
            }
        case "iterable": try noArgs(); return v.iterationItems != nil
        case "number": try noArgs(); return v.numeric != nil
        case "integer": try noArgs(); if case .int = v { return true }; return false
        case "float": try noArgs(); if case .double = v { return true }; return false
        case "boolean": try noArgs(); if case .bool = v { return true }; return false
        case "true": try noArgs(); if case .bool(true) = v { return true }; return false
        case "false": try noArgs(); if case .bool(false) = v { return true }; return false
        case "eq", "equalto", "==": return pythonEquals(v, try arg())
        case "ne", "!=": return !pythonEquals(v, try arg())
        case "lt", "lessthan", "<": return try pythonOrder("<", v, try arg())
        case "le", "<=": return try pythonOrder("<=", v, try arg())
        case "gt", "greaterthan", ">": return try pythonOrder(">", v, try arg())
        case "ge", ">=": return try pythonOrder(">=", v, try arg())
        case "odd", "even":
            try noArgs()
            let r = try Arithmetic.binary("%", v, .int(2))
            return pythonEquals(r, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return pythonEquals(try Arithmetic.binary("%", v, try arg()), .int(0))
        case "in": return try pythonContains(try arg(), v)
        case "sameas":
            let other = try arg()
            switch (v, other) {
            case (.none, .none), (.bool(true), .bool(true)), (.bool(false), .bool(false)): return true
            case let (.namespace(a), .namespace(b)): return a === b
            case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
            default: throw TemplateError(.unsupported, "'sameas' on values without a stable identity in Python")
            }
        case "callable":
            try noArgs()
            switch v {
            case .macro, .builtin, .method: return true
            default: return false
            }
        default:
            throw TemplateError(.unsupported, "the test '\(name)'")
        }
    }
}
