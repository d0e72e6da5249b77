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
    let body: [Node]

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
        try run(ChatTemplate.variables(messages, addGenerationPrompt, specialTokens, tools, documents, extra), date, spans: false).text
    }

    /// Renders as `render(messages:…)` and also returns where each `{% generation %}` block's
    /// output lies in the text — transformers' `return_assistant_tokens_mask`, for templates that
    /// mark assistant turns that way. Templates without the tag give no spans.
    public func renderWithGenerationSpans(messages: [JSONValue], addGenerationPrompt: Bool = false,
                                          specialTokens: [String: String] = [:], date: TemplateDate,
                                          tools: [JSONValue]? = nil, documents: [JSONValue]? = nil,
                                          extra: [String: JSONValue] = [:]) throws -> ChatRendering {
        try run(ChatTemplate.variables(messages, addGenerationPrompt, specialTokens, tools, documents, extra), date, spans: true)
    }

    private static func variables(_ messages: [JSONValue], _ addGenerationPrompt: Bool, _ specialTokens: [String: String],
                                  _ tools: [JSONValue]?, _ documents: [JSONValue]?,
                                  _ extra: [String: JSONValue]) -> [String: JSONValue] {
        var variables: [String: JSONValue] = [
            "messages": .array(messages),
            "tools": tools.map(JSONValue.array) ?? .null,
            "documents": documents.map(JSONValue.array) ?? .null,
            "add_generation_prompt": .bool(addGenerationPrompt),
        ]
        for (k, v) in specialTokens { variables[k] = .string(v) }
        for (k, v) in extra { variables[k] = v }
        return variables
    }

    /// Renders with exactly the given top-level variables (plus the environment's globals).
    public func render(variables: [String: JSONValue], date: TemplateDate) throws -> String {
        try run(variables, date, spans: false).text
    }

    private func run(_ variables: [String: JSONValue], _ date: TemplateDate, spans: Bool) throws -> ChatRendering {
        let context = Scope(parent: nil)
        context.variables = Globals.all
        for (k, v) in variables { context.variables[k] = Value(v) }
        let evaluator = Evaluator(name: name, date: date)
        defer { evaluator.releaseMacroScopes() }
        if spans { evaluator.generationSpans = [] }
        var out = ""
        do {
            try evaluator.render(body, Scope(parent: context), into: &out)
        } catch let e as TemplateError {
            throw e.located(template: name, line: 0)
        }
        return ChatRendering(text: out, generationSpans: evaluator.generationSpans ?? [])
    }
}

/// A rendered conversation with the spans of its `{% generation %}` blocks.
public struct ChatRendering: Sendable, Equatable {
    public let text: String
    /// Half-open ranges in Unicode scalars of `text` (Python's string indices, as transformers
    /// reports them), in output order.
    public let generationSpans: [Range<Int>]

    public init(text: String, generationSpans: [Range<Int>]) {
        self.text = text
        self.generationSpans = generationSpans
    }

    /// The same spans as UTF-8 byte offsets into `text`.
    public var generationUTF8Spans: [Range<Int>] {
        var offsets: [Int] = [0]  // offsets[k]: UTF-8 offset of the k-th scalar
        offsets.reserveCapacity(text.unicodeScalars.count + 1)
        for s in text.unicodeScalars { offsets.append(offsets.last! + UTF8.width(s)) }
        return generationSpans.map { offsets[$0.lowerBound]..<offsets[$0.upperBound] }
    }

    /// The text of each generation span.
    public var generatedTexts: [String] {
        let scalars = Array(text.unicodeScalars)
        return generationSpans.map { span in
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars[span])
            return String(v)
        }
    }
}
