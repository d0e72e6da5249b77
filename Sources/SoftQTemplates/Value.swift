import SoftQBase

/// A runtime value with Python's data model, as jinja2 sees the objects transformers passes it.
///
/// Lists, tuples and dicts are values (the sandbox of transformers forbids mutating them);
/// `namespace()` objects and loop state are references, because templates assign to them.
indirect enum Value {
    /// jinja2's `Undefined`: falsy, renders as "", iterates as empty; most operations raise.
    /// The message is what Python's `UndefinedError` would say when it is used.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case tuple([Value])
    case dict(Dict)
    /// `dict.items()`, `.keys()`, `.values()`: Python views, printed as `dict_items([...])`; and
    /// with kind "generator" the lazy iterators filters such as `map` or `selectattr` return,
    /// which are always truthy and have no length, exactly as in Python.
    case view(kind: String, items: [Value])
    /// Python's `range` object: iterates lazily in Python, renders as `range(0, 3)`.
    case range(start: Int, stop: Int, step: Int)
    case namespace(Namespace)
    case macro(Macro)
    case builtin(Builtin)
    /// A method looked up on a value (`s.strip`), called later with its arguments.
    case method(receiver: Box, name: String)
    case loop(LoopState)

    /// Boxes the receiver of a bound method (enum payloads cannot be recursive without indirection).
    final class Box { let value: Value; init(_ value: Value) { self.value = value } }

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(Value.init))
        case .object(let fields): self = .dict(Dict(fields.map { (Value.string($0.0), Value($0.1)) }))
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
    var isNone: Bool { if case .none = self { return true }; return false }

    /// Python's `bool(x)`.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .view(let kind, let a): return kind == "generator" || !a.isEmpty
        case .dict(let d): return !d.pairs.isEmpty
        case .range: return Value.rangeCount(self) > 0
        case .namespace, .macro, .builtin, .method, .loop: return true
        }
    }

    /// Python's type name, as it appears in Python's error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .view(let kind, _): return kind
        case .range: return "range"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .builtin, .method: return "builtin_function_or_method"
        case .loop: return "LoopContext"
        }
    }

    static func rangeCount(_ v: Value) -> Int {
        guard case let .range(start, stop, step) = v else { return 0 }
        // Spans beyond Int (range(-2**63, 2**63-1)) count as Int.max; the sandbox refuses them anyway.
        let (span, overflow) = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
        if overflow { return Int.max }
        guard span > 0 else { return 0 }
        let stride = step.magnitude
        return Int((span.magnitude + stride - 1) / stride)
    }

    /// The items `for x in value` visits, or nil when Python's `iter()` would fail.
    /// Strings iterate by code point and dicts by key, as in Python; undefined iterates as empty.
    var iterationItems: [Value]? {
        switch self {
        case .undefined: return []
        case .list(let a), .tuple(let a), .view(_, let a): return a
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .dict(let d): return d.pairs.map { $0.0 }
        case .range(let start, _, let step):
            return (0..<Value.rangeCount(self)).map { .int(start + $0 * step) }
        default: return nil
        }
    }

    /// Python's `len()`, or nil for objects without a length.
    var length: Int? {
        switch self {
        case .undefined: return 0
        case .list(let a), .tuple(let a): return a.count
        case .view(let kind, let a): return kind == "generator" ? nil : a.count
        case .string(let s): return s.unicodeScalars.count
        case .dict(let d): return d.pairs.count
        case .range: return Value.rangeCount(self)
        default: return nil
        }
    }

    /// The number as a Double when the value is a Python number (bool counts, as in Python).
    var numeric: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as a Python int when it is one (bool is an int subclass in Python).
    var integer: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }
}

/// A Python dict: insertion-ordered, keys compared with Python's `==`. Dicts in chat data are
/// small (a message has a handful of keys), so a linear search beats hashing here.
struct Dict {
    var pairs: [(Value, Value)]
    init(_ pairs: [(Value, Value)] = []) {
        self.pairs = []
        for (k, v) in pairs { self[k] = v }
    }

    subscript(key: Value) -> Value? {
        get { pairs.first { pythonEquals($0.0, key) }?.1 }
        set {
            if let i = pairs.firstIndex(where: { pythonEquals($0.0, key) }) {
                if let v = newValue { pairs[i].1 = v } else { pairs.remove(at: i) }
            } else if let v = newValue {
                pairs.append((key, v))
            }
        }
    }

    subscript(string key: String) -> Value? { self[.string(key)] }
}

/// jinja2's `namespace()`: the one mutable object templates have (`{% set ns.x = 1 %}`).
final class Namespace {
    var attributes: Dict
    init(_ attributes: Dict) { self.attributes = attributes }
}

/// The `loop` variable of a `for` block.
final class LoopState {
    let items: [Value]
    var index0 = 0
    init(items: [Value]) { self.items = items }

    func attribute(_ name: String) -> Value? {
        let n = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(n - index0)
        case "revindex0": return .int(n - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == n - 1)
        case "length": return .int(n)
        // Depth counts levels of recursive loops, which this interpreter refuses: always the first.
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined("there is no previous item")
        case "nextitem": return index0 + 1 < n ? items[index0 + 1] : .undefined("there is no next item")
        default: return nil
        }
    }
}

/// A `{% macro %}` with the scope it was defined in.
final class Macro {
    let name: String
    let parameters: [Parameter]
    let body: [Node]
    let closure: Scope
    let line: Int
    init(name: String, parameters: [Parameter], body: [Node], closure: Scope, line: Int) {
        self.name = name; self.parameters = parameters; self.body = body; self.closure = closure; self.line = line
    }
}

/// The global functions of transformers' environment.
enum Builtin {
    case range, namespace, dict, raiseException, strftimeNow
    /// `caller()` inside a macro invoked with `{% call %}`: renders the call block's body.
    case caller(CallerBody)

    var name: String {
        switch self {
        case .range: return "range"
        case .namespace: return "namespace"
        case .dict: return "dict"
        case .raiseException: return "raise_exception"
        case .strftimeNow: return "strftime_now"
        case .caller: return "caller"
        }
    }
}

/// The body of a `{% call %}` block and the scope it runs in.
final class CallerBody {
    let parameters: [Parameter]
    let body: [Node]
    let scope: Scope
    init(parameters: [Parameter], body: [Node], scope: Scope) {
        self.parameters = parameters; self.body = body; self.scope = scope
    }
}

/// A variable frame. jinja2 gives every `for` iteration, macro call and block set a fresh child
/// frame: assignments inside do not leak out, and each iteration starts from the outer values.
final class Scope {
    var variables: [String: Value] = [:]
    let parent: Scope?
    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var s: Scope? = self
        while let frame = s {
            if let v = frame.variables[name] { return v }
            s = frame.parent
        }
        return nil
    }
}

// Values hold namespaces and loop state, which templates mutate: they stay on the rendering
// thread. Saying so explicitly also spares the compiler a cyclic Sendable inference.
@available(*, unavailable) extension Value: Sendable {}
@available(*, unavailable) extension Dict: Sendable {}
