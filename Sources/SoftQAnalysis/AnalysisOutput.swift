import Foundation
import SoftQBase
import SoftQEvaluation

/// A table with a fixed column order, written as JSONL (one object per row) and CSV.
public struct AnalysisTable: Sendable {
    public var columns: [String]
    public var rows: [[JSONValue]]

    public init(columns: [String], rows: [[JSONValue]] = []) {
        self.columns = columns
        self.rows = rows
    }

    public mutating func append(_ row: [JSONValue]) {
        precondition(row.count == columns.count, "a table row needs one value per column")
        rows.append(row)
    }

    public var jsonLines: String {
        rows.map { JSONValue.object(Array(zip(columns, $0))).serialized() + "\n" }.joined()
    }

    /// RFC 4180 CSV: fields with a comma, quote or line break are quoted; null is empty;
    /// arrays and objects are written as their compact JSON.
    public var csv: String {
        var out = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for row in rows {
            out += row.map { v -> String in
                switch v {
                case .null: return ""
                case .string(let s): return Self.csvField(s)
                case .double(let d): return d.isFinite ? JSONValue.formatDouble(d) : ""
                default: return Self.csvField(v.serialized())
                }
            }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// JSON spellings shared by every analysis file.
public enum AnalysisJSON {
    /// The analysis files' schema version (docs/analysis.md). 2: intervals are SoftQEvaluation's
    /// interval object, as in summary.json (version 1 wrote `[lo, hi]`).
    public static let schemaVersion = 2

    /// A bootstrap interval in the one shape every softq file uses (`ConfidenceInterval.json`:
    /// `{"low", "high", "level", "method", "samples", "valid_samples", "seed"}`), or null when
    /// it could not be computed.
    public static func interval(_ ci: ConfidenceInterval?) -> JSONValue {
        ci?.json ?? .null
    }

    /// A double, or null when it is not finite (NaN: undefined, e.g. a correlation of constants).
    public static func number(_ d: Double?) -> JSONValue {
        guard let d, d.isFinite else { return .null }
        return .double(d)
    }

    /// Writes `<name>.json` (pretty) and each table as `<name>_<table>.jsonl` and `.csv`, each
    /// file atomically, creating `directory` if needed.
    public static func write(directory: URL, name: String, summary: JSONValue,
                             tables: [(String, AnalysisTable)]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (tableName, table) in tables {
            try AtomicFile.write(table.jsonLines, to: directory.appendingPathComponent("\(name)_\(tableName).jsonl"))
            try AtomicFile.write(table.csv, to: directory.appendingPathComponent("\(name)_\(tableName).csv"))
        }
        try AtomicFile.write(summary.prettySerialized(), to: directory.appendingPathComponent("\(name).json"))
    }
}
