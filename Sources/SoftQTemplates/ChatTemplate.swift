import SoftQBase

/// A model's chat template (the Jinja source in `tokenizer_config.json` → `chat_template`),
/// parsed once and rendered many times, with the output Python's `tokenizer.apply_chat_template(
/// messages, tokenize=False, …)` gives byte for byte.
///
/// The environment is transformers': jinja2's `ImmutableSandboxedEnvironment` with
/// `trim_blocks=True`, `lstrip_blocks=True`, the `loopcontrols` extension (`break`/`continue`),
/// the `{% generation %}` tag (its body renders unchanged), globals `raise_exception`,
/// `strftime_now`, `namespace`, `dict`, `range`, and a `tojson` filter that is Python's
/// `json.dumps(x, ensure_ascii=False, …)`. Values follow Python: `True`/`None` print as such,
/// floats print as Python's `repr`, lists and dicts print as Python's `repr`, undefined values
/// print as "" and are falsy.
///
/// ```swift
/// let template = try ChatTemplate(source: source, name: "Qwen2.5-0.5B-Instruct")
/// let prompt = try template.render(
///     messages: [.object([("role", .string("user")), ("content", .string("Hi"))])],
///     addGenerationPrompt: true,
///     specialTokens: ["bos_token": "<s>", "eos_token": "</s>"],
///     date: TemplateDate(year: 2026, month: 11, day: 30))
/// ```
///
/// Errors are `TemplateError`s with the template name and line: `.syntax` while parsing,
/// `.unsupported` for Jinja this interpreter does not implement (never a different string),
/// `.raised` with the exact message when the template calls `raise_exception(...)`.
public struct ChatTemplate: @unchecked Sendable {
    // @unchecked: the parsed tree is never mutated after init; rendering builds fresh state.
    public let name: String
    private let body: [Node]

    public init(source: String, name: String = "chat_template") throws {
        self.name = name
        var lexer = Lexer(source: source, name: name)
        var parser = Parser(tokens: try lexer.tokenize(), name: name)
        body = try parser.parseTemplate()
    }

    /// Renders a conversation with the variables transformers passes: `messages`, `tools` and
    /// `documents` (None when not given, as transformers passes them), `add_generation_prompt`,
    /// each special token (`bos_token`, `eos_token`, `pad_token`, `unk_token`, …) and `extra`
    /// (transformers' `**kwargs`, e.g. `enable_thinking`), which may override the others.
    ///
    /// transformers prepares messages before rendering (recent versions drop keys whose value is
    /// None and copy `reasoning_content`); this renders the messages exactly as given.
    public func render(messages: [JSONValue], addGenerationPrompt: Bool = false, specialTokens: [String: String] = [:],
                       date: TemplateDate, tools: [JSONValue]? = nil, documents: [JSONValue]? = nil,
                       extra: [String: JSONValue] = [:]) throws -> String {
        var variables: [String: JSONValue] = [
            "messages": .array(messages),
            "tools": tools.map(JSONValue.array) ?? .null,
            "documents": documents.map(JSONValue.array) ?? .null,
            "add_generation_prompt": .bool(addGenerationPrompt),
        ]
        for (k, v) in specialTokens { variables[k] = .string(v) }
        for (k, v) in extra { variables[k] = v }
        return try render(variables: variables, date: date)
    }

    /// Renders with exactly the given top-level variables (plus the environment's globals).
    public func render(variables: [String: JSONValue], date: TemplateDate) throws -> String {
        let context = Scope(parent: nil)
        context.variables = Globals.all
        for (k, v) in variables { context.variables[k] = Value(v) }
        let evaluator = Evaluator(name: name, date: date)
        var out = ""
        do {
            try evaluator.render(body, Scope(parent: context), into: &out)
        } catch let e as TemplateError {
            throw e.located(template: name, line: 0)
        }
        return out
    }
}
