/// The parsed form of a template: statements (`Node`) and expressions (`Expr`), each with its line.
indirect enum Expr {
    case literal(Value)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case getattr(Expr, String)
    case getitem(Expr, Expr)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, args: [Expr], kwargs: [(String, Expr)])
    case filter(Expr, name: String, args: [Expr], kwargs: [(String, Expr)])
    case test(Expr, name: String, args: [Expr], negated: Bool)
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    /// A comparison chain `a < b <= c`, evaluated pairwise as Python does.
    case compare(Expr, [(String, Expr)])
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    case conditional(test: Expr, then: Expr, otherwise: Expr?)
    /// The source line, for error messages; wraps any expression whose evaluation may fail.
    case located(Expr, line: Int)
}

/// What `set` and `for` assign to.
indirect enum Target {
    case name(String)
    case attribute(namespace: String, attribute: String)
    case tuple([Target])
}

struct FilterCall {
    let name: String
    let args: [Expr]
    let kwargs: [(String, Expr)]
    let line: Int
}

struct Parameter {
    let name: String
    let defaultValue: Expr?
}

indirect enum Node {
    case text(String)
    case output(Expr, line: Int)
    case ifChain([(Expr, [Node])], otherwise: [Node], line: Int)
    case forLoop(target: Target, iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node], line: Int)
    case set(Target, Expr, line: Int)
    case setBlock(Target, body: [Node], filters: [FilterCall], line: Int)
    case macro(name: String, parameters: [Parameter], body: [Node], line: Int)
    case callBlock(call: Expr, parameters: [Parameter], body: [Node], line: Int)
    case filterBlock(filters: [FilterCall], body: [Node], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// transformers' `{% generation %}`: marks assistant text for masks; renders its body unchanged.
    case generation([Node], line: Int)
}
