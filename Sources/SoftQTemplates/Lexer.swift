/// One token of a template, with the 1-based source line it starts on.
struct Token {
    enum Kind: Equatable {
        case data(String)
        case blockBegin, blockEnd, variableBegin, variableEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }
    let kind: Kind
    let line: Int
}

/// Splits a template into text and tag tokens the way jinja2 3.1's lexer does under transformers'
/// settings: `trim_blocks` (drop the newline after `%}` and `#}`), `lstrip_blocks` (drop spaces and
/// tabs before `{%`/`{#` on their own line), `-`/`+` whitespace control, and
/// `keep_trailing_newline=False` (one trailing newline of the source is dropped, line breaks
/// become "\n").
struct Lexer {
    private let src: [Unicode.Scalar]
    private let name: String
    private var pos = 0
    private var line = 1
    private var tokens: [Token] = []
    /// jinja2's `line_starting`: the previous match ended a line, so lstrip may apply at position 0.
    private var lineStarting = true

    init(source: String, name: String) {
        src = Lexer.normalizeNewlines(source)
        self.name = name
    }

    /// Python's `"\n".join(source.splitlines())`: every line break becomes "\n" and one final
    /// line break disappears.
    static func normalizeNewlines(_ source: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        let scalars = Array(source.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c.value {
            case 0x0d:
                out.append("\n")
                if i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
            case 0x0a, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
                out.append("\n")
            default:
                out.append(c)
            }
            i += 1
        }
        if out.last == "\n" { out.removeLast() }
        return out
    }

    private func error(_ message: String) -> TemplateError {
        TemplateError(.syntax, message, template: name, line: line)
    }

    private func starts(with text: String, at i: Int) -> Bool {
        var k = i
        for c in text.unicodeScalars {
            if k >= src.count || src[k] != c { return false }
            k += 1
        }
        return true
    }

    private func text(_ a: Int, _ b: Int) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: src[a..<b])
        return String(s)
    }

    private mutating func advance(to end: Int) {
        for k in pos..<end where src[k] == "\n" { line += 1 }
        pos = end
    }

    private mutating func emit(_ kind: Token.Kind) { tokens.append(Token(kind: kind, line: line)) }

    mutating func tokenize() throws -> [Token] {
        while pos < src.count {
            guard let (start, tag) = nextTagStart(from: pos) else {
                emitData(from: pos, to: src.count, sign: nil, tag: nil)
                advance(to: src.count)
                break
            }
            var signIndex = start + 2
            let sign: Unicode.Scalar? = signIndex < src.count && (src[signIndex] == "-" || src[signIndex] == "+") ? src[signIndex] : nil
            if sign != nil { signIndex += 1 }
            let isRaw = tag == "%" ? rawBeginEnd(after: signIndex) : nil
            emitData(from: pos, to: start, sign: sign, tag: tag)
            advance(to: start)
            lineStarting = false
            if let rawEnd = isRaw {
                advance(to: rawEnd)
                try lexRaw()
                continue
            }
            switch tag {
            case "#": try skipComment(from: signIndex)
            case "%":
                emit(.blockBegin)
                advance(to: signIndex)
                try lexTag(block: true)
            default:
                emit(.variableBegin)
                advance(to: signIndex)
                try lexTag(block: false)
            }
        }
        emit(.eof)
        return tokens
    }

    /// The next `{{`, `{%` or `{#` at or after i.
    private func nextTagStart(from i: Int) -> (Int, Unicode.Scalar)? {
        var k = i
        while k + 1 < src.count {
            if src[k] == "{" {
                let c = src[k + 1]
                if c == "{" || c == "%" || c == "#" { return (k, c) }
            }
            k += 1
        }
        return nil
    }

    /// The text before a tag, stripped as the tag's whitespace control asks.
    private mutating func emitData(from a: Int, to b: Int, sign: Unicode.Scalar?, tag: Unicode.Scalar?) {
        var end = b
        if sign == "-" {
            while end > a && PythonFormat.isSpace(src[end - 1]) { end -= 1 }
        } else if sign != "+", let tag, tag != "{" {
            // lstrip_blocks: only whitespace between the line start and a block/comment tag.
            var lineStart = end
            while lineStart > a && src[lineStart - 1] != "\n" { lineStart -= 1 }
            if (lineStart > a || lineStarting) && lineStart < end
                && src[lineStart..<end].allSatisfy({ PythonFormat.isSpace($0) }) {
                end = lineStart
            }
        }
        if end > a { tokens.append(Token(kind: .data(text(a, end)), line: line)) }
    }

    /// If `{% raw %}` starts here (i is just after `{%` and its sign), the index after its `%}`.
    private func rawBeginEnd(after i: Int) -> Int? {
        var k = i
        while k < src.count && PythonFormat.isSpace(src[k]) { k += 1 }
        guard starts(with: "raw", at: k) else { return nil }
        k += 3
        while k < src.count && PythonFormat.isSpace(src[k]) { k += 1 }
        if starts(with: "-%}", at: k) {
            k += 3
            while k < src.count && PythonFormat.isSpace(src[k]) { k += 1 }
            return k
        }
        return starts(with: "%}", at: k) ? k + 2 : nil
    }

    /// The body of `{% raw %}` up to `{% endraw %}`, emitted verbatim.
    private mutating func lexRaw() throws {
        var k = pos
        while k + 1 < src.count {
            if src[k] == "{" && src[k + 1] == "%" {
                var j = k + 2
                var sign: Unicode.Scalar? = nil
                if j < src.count && (src[j] == "-" || src[j] == "+") { sign = src[j]; j += 1 }
                while j < src.count && PythonFormat.isSpace(src[j]) { j += 1 }
                if starts(with: "endraw", at: j) {
                    j += 6
                    while j < src.count && PythonFormat.isSpace(src[j]) { j += 1 }
                    var end: Int? = nil
                    if starts(with: "+%}", at: j) { end = j + 3 }
                    else if starts(with: "-%}", at: j) {
                        end = j + 3
                        while end! < src.count && PythonFormat.isSpace(src[end!]) { end! += 1 }
                    } else if starts(with: "%}", at: j) {
                        end = j + 2
                        if end! < src.count && src[end!] == "\n" { end! += 1 }
                    }
                    if let end {
                        emitData(from: pos, to: k, sign: sign, tag: nil)
                        advance(to: end)
                        lineStarting = src[end - 1] == "\n"
                        return
                    }
                }
            }
            k += 1
        }
        throw error("missing end of raw directive")
    }

    private mutating func skipComment(from i: Int) throws {
        var k = i
        while k + 1 < src.count {
            if src[k] == "#" && src[k + 1] == "}" {
                var end = k + 2
                let before: Unicode.Scalar? = k > i ? src[k - 1] : nil
                if before == "-" {
                    while end < src.count && PythonFormat.isSpace(src[end]) { end += 1 }
                } else if before != "+" {
                    if end < src.count && src[end] == "\n" { end += 1 }
                }
                advance(to: end)
                lineStarting = src[end - 1] == "\n"
                return
            }
            k += 1
        }
        throw error("missing end of comment tag")
    }

    /// Tokens inside `{% … %}` or `{{ … }}` up to the matching end tag.
    private mutating func lexTag(block: Bool) throws {
        var balance: [Unicode.Scalar] = []
        while true {
            guard pos < src.count else { throw error(block ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'") }
            if balance.isEmpty, let end = tagEnd(block: block) {
                emit(block ? .blockEnd : .variableEnd)
                advance(to: end)
                lineStarting = src[end - 1] == "\n"
                return
            }
            let c = src[pos]
            if PythonFormat.isSpace(c) { advance(to: pos + 1); continue }
            if let (kind, end) = try number() { emit(kind); advance(to: end); continue }
            if isNameStart(c) {
                var k = pos + 1
                while k < src.count && isNameContinue(src[k]) { k += 1 }
                emit(.name(text(pos, k)))
                advance(to: k)
                continue
            }
            if c == "'" || c == "\"" {
                let (value, end) = try stringLiteral(quote: c)
                emit(.string(value))
                advance(to: end)
                continue
            }
            if let op = Lexer.operators.first(where: { starts(with: $0, at: pos) }) {
                let s = op.unicodeScalars.first!
                if s == "(" || s == "[" || s == "{" { balance.append(s) }
                if s == ")" || s == "]" || s == "}" {
                    let open: Unicode.Scalar = s == ")" ? "(" : (s == "]" ? "[" : "{")
                    guard balance.last == open else { throw error("unexpected '\(op)'") }
                    balance.removeLast()
                }
                emit(.op(op))
                advance(to: pos + op.unicodeScalars.count)
                continue
            }
            throw error("unexpected character '\(Character(c))'")
        }
    }

    static let operators = ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
                            "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]

    private func tagEnd(block: Bool) -> Int? {
        if block {
            if starts(with: "+%}", at: pos) { return pos + 3 }
            if starts(with: "-%}", at: pos) {
                var k = pos + 3
                while k < src.count && PythonFormat.isSpace(src[k]) { k += 1 }
                return k
            }
            if starts(with: "%}", at: pos) {
                return pos + 2 < src.count && src[pos + 2] == "\n" ? pos + 3 : pos + 2
            }
            return nil
        }
        if starts(with: "-}}", at: pos) {
            var k = pos + 3
            while k < src.count && PythonFormat.isSpace(src[k]) { k += 1 }
            return k
        }
        return starts(with: "}}", at: pos) ? pos + 2 : nil
    }

    private func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.value < 0x80 ? (c.properties.isAlphabetic) : c.properties.isXIDStart)
    }
    private func isNameContinue(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.value < 0x80 ? (c.properties.isAlphabetic || ("0"..."9").contains(c)) : c.properties.isXIDContinue)
    }
    private func isDigit(_ k: Int) -> Bool { k < src.count && ("0"..."9").contains(src[k]) }

    /// Digits with single underscores between groups, as jinja2's `(\d+_)*\d+`; returns the end.
    private func digitRun(_ i: Int) -> Int? {
        guard isDigit(i) else { return nil }
        var k = i
        while true {
            while isDigit(k) { k += 1 }
            if k < src.count && src[k] == "_" && isDigit(k + 1) { k += 1 } else { return k }
        }
    }

    /// An integer or float literal at pos (jinja2 refuses a float right after a dot: `a.0.1`).
    private func number() throws -> (Token.Kind, Int)? {
        guard let intEnd = digitRun(pos) else { return nil }
        var end = intEnd, isFloat = false
        if pos == 0 || src[pos - 1] != "." {
            var k = intEnd
            if k < src.count && src[k] == ".", let fracEnd = digitRun(k + 1) { k = fracEnd; isFloat = true }
            if k < src.count && (src[k] == "e" || src[k] == "E") {
                var j = k + 1
                if j < src.count && (src[j] == "+" || src[j] == "-") { j += 1 }
                if let expEnd = digitRun(j) { k = expEnd; isFloat = true }
            }
            if isFloat { end = k }
        }
        let literal = text(pos, end).replacingOccurrences(of: "_", with: "")
        if isFloat { return (.float(Double(literal) ?? .nan), end) }
        guard let v = Int(literal) else {
            throw TemplateError(.unsupported, "integer literal \(literal) beyond 64 bits", template: name, line: line)
        }
        return (.integer(v), end)
    }

    /// A quoted string, decoded as Python's "unicode-escape" codec does (jinja2 uses it).
    private func stringLiteral(quote: Unicode.Scalar) throws -> (String, Int) {
        var k = pos + 1
        var out = String.UnicodeScalarView()
        func hexValue(_ count: Int) throws -> Unicode.Scalar {
            guard k + count < src.count || k + count == src.count else { throw error("truncated escape in string literal") }
            var v: UInt32 = 0
            for j in 0..<count {
                guard k + 1 + j < src.count, let d = Int(String(src[k + 1 + j]), radix: 16) else {
                    throw error("truncated \\x/\\u escape in string literal")
                }
                v = v * 16 + UInt32(d)
            }
            guard let s = Unicode.Scalar(v) else { throw error("escape \\U\(v) is not a character") }
            k += count
            return s
        }
        while k < src.count {
            let c = src[k]
            if c == quote { return (String(out), k + 1) }
            if c == "\\" && k + 1 < src.count {
                k += 1
                let e = src[k]
                switch e {
                case "\n": break
                case "\\", "'", "\"": out.append(e)
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "v": out.append("\u{0B}")
                case "x": out.append(try hexValue(2))
                case "u": out.append(try hexValue(4))
                case "U": out.append(try hexValue(8))
                case "0"..."7":
                    var v = e.value - 48, n = 1
                    while n < 3, k + 1 < src.count, ("0"..."7").contains(src[k + 1]) { k += 1; v = v * 8 + src[k].value - 48; n += 1 }
                    out.append(Unicode.Scalar(v)!)
                case "N": throw TemplateError(.unsupported, "\\N{…} escapes in string literals", template: name, line: line)
                default: out.append("\\"); out.append(e)
                }
                k += 1
                continue
            }
            out.append(c)
            k += 1
        }
        throw error("unterminated string literal")
    }
}
