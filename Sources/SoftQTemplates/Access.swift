/// `x.name`, `x[key]` and `x[a:b:c]` as jinja2's sandbox resolves them: `.name` tries the Python
/// attribute first, then the item (so `message.items` is the dict method, `message.role` the key);
/// `[key]` tries the item first. Missing things are undefined, not errors; using an undefined
/// value's attributes is the error.
enum Access {
    static let dictMethods: Set<String> = ["items", "keys", "values", "get"]
    /// Python attributes of dict that shadow keys but that this interpreter does not provide.
    static let otherDictAttributes: Set<String> = ["pop", "popitem", "update", "setdefault", "clear", "copy", "fromkeys"]
    static let stringMethods: Set<String> = ["strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit",
                                             "upper", "lower", "title", "capitalize", "replace", "format", "find",
                                             "rfind", "index", "rindex", "count", "join", "splitlines", "isdigit", "isalpha",
                                             "isspace"]
    static let listMethods: Set<String> = ["index", "count"]
    /// Mutating methods the immutable sandbox refuses (calling them raises SecurityError).
    static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"]

    static func attribute(_ v: Value, _ attr: String) throws -> Value {
        switch v {
        case .undefined: throw undefinedError(v)
        case .dict(let d):
            if dictMethods.contains(attr) { return .method(receiver: .init(v), name: attr) }
            if otherDictAttributes.contains(attr) {
                throw TemplateError(.unsupported, "the dict attribute '\(attr)' (it shadows the key of that name in Python)")
            }
            return d[string: attr] ?? .undefined("'dict object' has no attribute '\(attr)'")
        case .namespace(let ns):
            return ns.attributes[string: attr] ?? .undefined("'Namespace object' has no attribute '\(attr)'")
        case .loop(let state):
            if attr == "cycle" { return .method(receiver: .init(v), name: attr) }
            if attr == "changed" { throw TemplateError(.unsupported, "loop.changed") }
            return state.attribute(attr) ?? .undefined("'LoopContext object' has no attribute '\(attr)'")
        case .string:
            if stringMethods.contains(attr) { return .method(receiver: .init(v), name: attr) }
            return .undefined("'str object' has no attribute '\(attr)'")
        case .list, .tuple:
            if listMethods.contains(attr) { return .method(receiver: .init(v), name: attr) }
            if unsafeListMethods.contains(attr) {
                return .undefined("access to attribute '\(attr)' of '\(v.typeName)' object is unsafe.")
            }
            return .undefined("'\(v.typeName) object' has no attribute '\(attr)'")
        case .none:
            return .undefined("'None' has no attribute '\(attr)'")
        default:
            return .undefined("'\(v.typeName) object' has no attribute '\(attr)'")
        }
    }

    static func item(_ v: Value, _ key: Value) throws -> Value {
        switch v {
        case .undefined: throw undefinedError(v)
        case .dict(let d):
            if let found = d[key] { return found }
            if case .string(let s) = key { return try attribute(v, s) }
            return .undefined("'dict object' has no attribute \(try PythonFormat.repr(key))")
        case .list(let items), .tuple(let items):
            if let i = key.integer { return index(i, count: items.count).map { items[$0] } ?? .undefined("'\(v.typeName) object' has no element \(i)") }
            if case .string(let s) = key { return try attribute(v, s) }
            return .undefined("'\(v.typeName) object' has no attribute \(try PythonFormat.repr(key))")
        case .string(let s):
            if let i = key.integer {
                let scalars = Array(s.unicodeScalars)
                return index(i, count: scalars.count).map { .string(String(scalars[$0])) } ?? .undefined("'str object' has no element \(i)")
            }
            if case .string(let name) = key { return try attribute(v, name) }
            return .undefined("'str object' has no attribute \(try PythonFormat.repr(key))")
        case .range:
            let items = v.iterationItems ?? []
            if let i = key.integer { return index(i, count: items.count).map { items[$0] } ?? .undefined("range object index out of range") }
            return .undefined("'range object' has no attribute \(try PythonFormat.repr(key))")
        case .namespace, .loop:
            if case .string(let s) = key { return try attribute(v, s) }
            return .undefined("'\(v.typeName) object' has no attribute \(try PythonFormat.repr(key))")
        default:
            if case .string(let s) = key { return try attribute(v, s) }
            return .undefined("'\(v.typeName) object' has no attribute \(try PythonFormat.repr(key))")
        }
    }

    /// A Python index (negative counts from the end) inside 0..<count, or nil.
    static func index(_ i: Int, count: Int) -> Int? {
        let k = i < 0 ? i + count : i
        return k >= 0 && k < count ? k : nil
    }

    /// The positions Python's `slice(start, stop, step).indices(count)` visits.
    static func sliceIndices(_ start: Value?, _ stop: Value?, _ step: Value?, count: Int) throws -> [Int] {
        func bound(_ v: Value?) throws -> Int? {
            guard let v, !v.isNone else { return nil }
            guard let i = v.integer else {
                if v.isUndefined { throw undefinedError(v) }
                throw TemplateError(.type, "slice indices must be integers or None")
            }
            return i
        }
        let st = try bound(step) ?? 1
        guard st != 0 else { throw TemplateError(.type, "slice step cannot be zero") }
        let lower = st > 0 ? 0 : -1, upper = st > 0 ? count : count - 1
        func clamp(_ i: Int?, _ fallback: Int) -> Int {
            guard var i else { return fallback }
            if i < 0 { i += count; return max(i, lower) }
            return min(i, upper)
        }
        var i = clamp(try bound(start), st > 0 ? lower : upper)
        let end = clamp(try bound(stop), st > 0 ? upper : lower)
        var out: [Int] = []
        while st > 0 ? i < end : i > end { out.append(i); i += st }
        return out
    }

    static func slice(_ v: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        switch v {
        case .undefined: throw undefinedError(v)
        case .list(let items):
            return .list(try sliceIndices(start, stop, step, count: items.count).map { items[$0] })
        case .tuple(let items):
            return .tuple(try sliceIndices(start, stop, step, count: items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for k in try sliceIndices(start, stop, step, count: scalars.count) { out.append(scalars[k]) }
            return .string(String(out))
        case .range:
            throw TemplateError(.unsupported, "slicing a range")
        default:
            // jinja2 compiles slices to plain Python subscripts (no environment.getitem), so a
            // value that cannot be sliced raises instead of becoming undefined.
            throw TemplateError(.type, "'\(v.typeName)' object is not subscriptable")
        }
    }
}
