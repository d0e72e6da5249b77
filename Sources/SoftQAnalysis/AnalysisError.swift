import Foundation

/// Everything an analysis can reject, with the context needed to fix the input.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// Two arrays that must pair up element by element have different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A statistic needs more data than it was given (e.g. a correlation of one point).
    case notEnoughData(what: String, needed: Int, actual: Int)
    /// A user-selected name (perturbation type, aggregate, …) that does not exist.
    case unknownName(kind: String, name: String, known: [String])
    /// A strength, fraction or count outside its allowed range.
    case invalidValue(name: String, value: Double, rule: String)
    /// An input file field that is missing or has the wrong type (file, 1-based line, field).
    case invalidInput(file: String, line: Int, field: String, message: String)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, actual):
            return "\(what) has \(actual) values, expected \(expected)"
        case let .notEnoughData(what, needed, actual):
            return "\(what) needs at least \(needed) values, got \(actual)"
        case let .unknownName(kind, name, known):
            return "unknown \(kind) '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .invalidValue(name, value, rule):
            return "invalid \(name) = \(value): \(rule)"
        case let .invalidInput(file, line, field, message):
            return "\(file):\(line): field '\(field)': \(message)"
        }
    }
}
