/// Everything that can go wrong while parsing or rendering a chat template.
///
/// Each error names the template and the 1-based line of the construct that failed, so a user
/// can find it in the model's `chat_template`. `raised` carries exactly the message a template
/// passed to `raise_exception(...)`: it is the same string Python's `jinja2.TemplateError` holds.
public struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// The source is not valid Jinja (unbalanced tags, bad expression).
        case syntax
        /// Valid Jinja that this interpreter deliberately does not implement; never rendered differently.
        case unsupported
        /// An undefined value was used where Python would raise `UndefinedError`.
        case undefined
        /// An operation Python rejects with `TypeError`/`ValueError` (e.g. `1 + "a"`, bad unpacking).
        case type
        /// Division or modulo by zero.
        case zeroDivision
        /// Something the sandbox of transformers refuses (`list.append`, underscore namespace keys).
        case security
        /// The template called `raise_exception(message)`.
        case raised
    }

    public let kind: Kind
    public let message: String
    /// The template's name as given to `ChatTemplate(source:name:)`.
    public let template: String
    /// 1-based line in the template source (after jinja2's newline normalisation).
    public let line: Int

    public init(_ kind: Kind, _ message: String, template: String = "", line: Int = 0) {
        self.kind = kind
        self.message = message
        self.template = template
        self.line = line
    }

    public var description: String {
        let place = template.isEmpty ? "line \(line)" : "\(template):\(line)"
        switch kind {
        case .raised: return "\(place): template raised an exception: \(message)"
        default: return "\(place): \(kind.rawValue) error: \(message)"
        }
    }

    /// The same error attributed to a template and line, unless it already carries one.
    func located(template name: String, line: Int) -> TemplateError {
        TemplateError(kind, message, template: template.isEmpty ? name : template, line: self.line == 0 ? line : self.line)
    }
}
