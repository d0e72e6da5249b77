/// Methods templates call on values: Python's `str`, `dict` and `list` methods (the non-mutating
/// ones the sandbox allows) and `loop.cycle`. Strings are handled as code points, as Python does.
enum Methods {
    static func call(_ receiver: Value, _ name: String, _ args: Arguments) throws -> Value {
        switch receiver {
        case .string(let s): return try StringMethods.call(s, name, args)
        case .dict(let d):
            switch name {
            case "items":
                try args.check("items", names: [])
                return .view(kind: "dict_items", items: d.pairs.map { .tuple([$0.0, $0.1]) })
            case "keys":
                try args.check("keys", names: [])
                return .view(kind: "dict_keys", items: d.pairs.map { $0.0 })
            case "values":
                try args.check("values", names: [])
                return .view(kind: "dict_values", items: d.pairs.map { $0.1 })
            case "get":
                guard args.keyword.isEmpty, (1...2).contains(args.positional.count) else {
                    throw TemplateError(.type, "get expected 1 or 2 positional arguments")
                }
                return d[args.positional[0]] ?? (args.positional.count > 1 ? args.positional[1] : .none)
            default: break
            }
        case .list(let items), .tuple(let items):
            guard args.positional.count == 1, args.keyword.isEmpty else {
                throw TemplateError(.type, "\(name)() takes exactly one argument")
            }
            let x = args.positional[0]
            if name == "count" { return .int(items.filter { pythonEquals($0, x) }.count) }
            if name == "index" {
                guard let k = items.firstIndex(where: { pythonEquals($0, x) }) else {
                    throw TemplateError(.type, "\(try PythonFormat.repr(x)) is not in \(receiver.typeName)")
                }
                return .int(k)
            }
        case .loop(let state):
            if name == "cycle" {
                guard !args.positional.isEmpty else { throw TemplateError(.type, "no items for cycling given") }
                return args.positional[state.index0 % args.positional.count]
            }
        default: break
        }
        throw TemplateError(.unsupported, "the method '\(name)' of \(receiver.typeName)")
    }
}
