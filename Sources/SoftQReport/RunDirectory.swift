import Foundation
import SoftQBase

/// Everything that can go wrong while reading a run directory or writing a report.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case noRuns
    case notADirectory(path: String)
    case nothingToReport(path: String)
    case invalidJSON(file: String, line: Int?, column: Int, message: String)
    case missingField(file: String, line: Int?, key: String)
    case wrongType(file: String, line: Int?, key: String, expected: String, actual: String)
    case lengthMismatch(file: String, line: Int?, key: String, expected: Int, actual: Int)
    case unknownPair(id: String, path: String)
    case tokenFile(file: String, key: String, message: String)
    case writeFailed(path: String, reason: String)
    /// The directory's files do not match its manifest.json, or it holds an unfinished run.
    case runDirectory(message: String)

    public var description: String {
        func at(_ f: String, _ l: Int?) -> String { l.map { "\(f):\($0)" } ?? f }
        switch self {
        case .noRuns: return "no run directory given"
        case .notADirectory(let p): return "\(p) is not a directory (give a run directory written by softq score, rewards or an analysis)"
        case .nothingToReport(let p): return "\(p) holds none of summary.json, pairs.jsonl, tokens.jsonl, tokens.h5, responses.jsonl, robustness.json, length.json, correlation.json, sensitivity.json, steps.json"
        case let .invalidJSON(f, l, c, m): return "\(at(f, l)): column \(c): \(m)"
        case let .missingField(f, l, k): return "\(at(f, l)): missing field '\(k)'"
        case let .wrongType(f, l, k, e, a): return "\(at(f, l)): field '\(k)': expected \(e), got \(a)"
        case let .lengthMismatch(f, l, k, e, a): return "\(at(f, l)): array '\(k)' has \(a) entries, expected \(e) (one per token)"
        case let .unknownPair(id, p): return "--pair \(id): no pair with that id in \(p)/pairs.jsonl"
        case let .tokenFile(f, k, m): return "\(f): \(k): \(m)"
        case let .writeFailed(p, r): return "cannot write \(p): \(r)"
        case .runDirectory(let m): return m
        }
    }
}

/// The per-response aggregates of one side of a pair (pairs.jsonl `chosen` / `rejected`).
public struct ResponseScore: Sendable, Equatable {
    public var tokens: Int
    /// Every numeric field in file order (`sum`, `mean`, …, `dpo`), for tables.
    public var values: [(String, Double)]
    public subscript(key: String) -> Double? { values.first { $0.0 == key }?.1 }
    public static func == (a: ResponseScore, b: ResponseScore) -> Bool {
        a.tokens == b.tokens && a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { $0 == $1 }
    }
}

/// One line of pairs.jsonl.
public struct PairRecord: Sendable, Equatable {
    public var index: Int
    public var id: String
    public var subset: String?
    /// The aggregate `margin` and `correct` use (`sum` by default).
    public var score: String?
    public var margin: Double
    public var correct: Bool
    public var tie: Bool
    public var chosen: ResponseScore
    public var rejected: ResponseScore
}

/// One scored response of tokens.jsonl / tokens.h5 (or of a `softq rewards` run).
public struct TokenRecord: Sendable, Equatable {
    /// The pair's position in pairs.jsonl (or nil for a rewards/extract run).
    public var pair: Int?
    public var id: String
    /// `chosen`, `rejected`, or nil for a rewards/extract run.
    public var side: String?
    public var tokenIDs: [Int]
    /// Display strings of the tokens, when the scorer wrote them.
    public var pieces: [String]?
    public var logprob, q, valueBefore, valueAfter, reward: [Double]
    public var promptValue: Double?
    public var terminal: Bool?
}

/// A run directory as the report sees it: whichever files are present, parsed strictly.
public struct RunData: Sendable {
    public var directory: URL
    public var name: String
    public var summary: JSONValue?
    public var pairs: [PairRecord]
    public var tokens: [TokenRecord]
    public var responses: [JSONValue]
    public var robustness: JSONValue?
    public var length: JSONValue?
    public var correlation: JSONValue?
    public var sensitivity: JSONValue?
    /// steps.json of `softq analyze steps`.
    public var steps: JSONValue? = nil
    /// Things a reader should know (missing files, absent token text), shown in "the run".
    public var notes: [String] = []

    public static let analysisFiles = ["robustness.json", "length.json", "correlation.json", "sensitivity.json", "steps.json"]

    /// Reads `directory`. Missing files are fine (their sections say so); a malformed file is
    /// an error naming the file, the line and the field.
    public static func load(_ directory: URL) throws -> RunData {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ReportError.notADirectory(path: directory.path)
        }
        func file(_ n: String) -> URL? {
            let u = directory.appendingPathComponent(n)
            return FileManager.default.fileExists(atPath: u.path) ? u : nil
        }
        var run = RunData(directory: directory, name: directory.standardizedFileURL.lastPathComponent, summary: nil,
                          pairs: [], tokens: [], responses: [], robustness: nil, length: nil, correlation: nil,
                          sensitivity: nil)
        // A run is read only as a whole: its files must match manifest.json (written last).
        // Runs of softq versions before manifests are read, with a warning.
        do {
            if try RunManifest.verify(directory) == nil {
                run.notes.append("unverified: \(run.name) has no manifest.json (written by an older softq, or not by softq), so its files could not be checked against the run that wrote them")
            }
        } catch let e as RunDirectoryError {
            throw ReportError.runDirectory(message: e.description)
        }
        if let u = file("summary.json") { run.summary = try readJSON(u) }
        if let u = file("pairs.jsonl") {
            run.pairs = try readJSONLines(u).map { try PairRecord(json: $0.1, line: $0.0, file: u.lastPathComponent, index: $0.2) }
        }
        if let u = file("tokens.jsonl") {
            run.tokens = try readJSONLines(u).map { try TokenRecord(json: $0.1, line: $0.0, file: u.lastPathComponent) }
        } else if let u = file("tokens.h5") {
            let (records, note) = try TokenFileHDF5.read(u)
            run.tokens = records
            if let note { run.notes.append(note) }
        }
        if let u = file("responses.jsonl") { run.responses = try readJSONLines(u).map(\.1) }
        if let u = file("robustness.json") { run.robustness = try readJSON(u) }
        if let u = file("length.json") { run.length = try readJSON(u) }
        if let u = file("correlation.json") { run.correlation = try readJSON(u) }
        if let u = file("sensitivity.json") { run.sensitivity = try readJSON(u) }
        if let u = file("steps.json") { run.steps = try readJSON(u) }
        if run.summary == nil && run.pairs.isEmpty && run.tokens.isEmpty && run.responses.isEmpty
            && run.robustness == nil && run.length == nil && run.correlation == nil && run.sensitivity == nil && run.steps == nil {
            throw ReportError.nothingToReport(path: directory.path)
        }
        if !run.tokens.isEmpty, run.tokens.contains(where: { $0.pieces == nil }) {
            run.notes.append("token text is not in the token file (no `pieces`): tokens are shown by id")
        }
        return run
    }

    static func readText(_ url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw ReportError.invalidJSON(file: url.lastPathComponent, line: nil, column: 1, message: "not readable as UTF-8 text")
        }
    }

    static func readJSON(_ url: URL) throws -> JSONValue {
        do { return try JSONParser.parse(readText(url)) } catch let e as JSONParseError {
            throw ReportError.invalidJSON(file: url.lastPathComponent, line: nil, column: e.column, message: e.message)
        }
    }

    /// (1-based line number, value, 0-based record index) for each non-blank line.
    static func readJSONLines(_ url: URL) throws -> [(Int, JSONValue, Int)] {
        var out: [(Int, JSONValue, Int)] = []
        for (k, line) in try readText(url).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) { continue }
            do { out.append((k + 1, try JSONParser.parse(String(line)), out.count)) } catch let e as JSONParseError {
                throw ReportError.invalidJSON(file: url.lastPathComponent, line: k + 1, column: e.column, message: e.message)
            }
        }
        return out
    }
}

/// Strict field access for one JSON object, with errors that name file, line and key.
struct FieldReader {
    let json: JSONValue
    let file: String
    let line: Int?

    func value(_ key: String) throws -> JSONValue {
        guard case .object = json else {
            throw ReportError.wrongType(file: file, line: line, key: "(record)", expected: "object", actual: json.typeName)
        }
        guard let v = json[key] else { throw ReportError.missingField(file: file, line: line, key: key) }
        return v
    }
    func optional(_ key: String) -> JSONValue? {
        guard let v = json[key], v != .null else { return nil }
        return v
    }
    func double(_ key: String) throws -> Double {
        let v = try value(key)
        if v == .null { return .nan }  // a non-finite number is written as null
        guard let d = v.doubleValue else { throw mismatch(key, "number", v) }
        return d
    }
    func int(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw mismatch(key, "integer", v) }
        return i
    }
    func bool(_ key: String) throws -> Bool {
        let v = try value(key)
        guard case .bool(let b) = v else { throw mismatch(key, "boolean", v) }
        return b
    }
    /// A string, or an integer printed as one (pair ids may be either).
    func idString(_ key: String) throws -> String {
        let v = try value(key)
        if let s = v.stringValue { return s }
        if let i = v.intValue { return String(i) }
        throw mismatch(key, "string or integer", v)
    }
    func doubles(_ key: String) throws -> [Double] {
        let v = try value(key)
        guard let a = v.arrayValue else { throw mismatch(key, "array of numbers", v) }
        return try a.map {
            if $0 == .null { return .nan }
            guard let d = $0.doubleValue else { throw mismatch(key, "array of numbers", $0) }
            return d
        }
    }
    func mismatch(_ key: String, _ expected: String, _ v: JSONValue) -> ReportError {
        .wrongType(file: file, line: line, key: key, expected: expected, actual: v.typeName)
    }
}

extension ResponseScore {
    init(json: JSONValue, key: String, file: String, line: Int) throws {
        let r = FieldReader(json: json, file: file, line: line)
        guard let fields = json.objectValue else {
            throw ReportError.wrongType(file: file, line: line, key: key, expected: "object", actual: json.typeName)
        }
        tokens = try r.int("tokens")
        values = fields.compactMap { k, v in k == "tokens" ? nil : v.doubleValue.map { (k, $0) } }
    }
}

extension PairRecord {
    init(json: JSONValue, line: Int, file: String, index: Int) throws {
        let r = FieldReader(json: json, file: file, line: line)
        self.index = index
        id = r.optional("id") == nil ? String(index) : try r.idString("id")
        subset = r.optional("subset")?.stringValue
        score = r.optional("score")?.stringValue
        margin = try r.double("margin")
        correct = try r.bool("correct")
        tie = r.optional("tie") == nil ? margin == 0 : try r.bool("tie")
        chosen = try ResponseScore(json: try r.value("chosen"), key: "chosen", file: file, line: line)
        rejected = try ResponseScore(json: try r.value("rejected"), key: "rejected", file: file, line: line)
    }
}

extension TokenRecord {
    init(json: JSONValue, line: Int, file: String) throws {
        let r = FieldReader(json: json, file: file, line: line)
        pair = r.optional("pair")?.intValue
        id = r.optional("id") == nil ? "" : try r.idString("id")
        side = r.optional("side")?.stringValue
        let ids = try r.value("token_ids")
        guard let idArray = ids.arrayValue, idArray.allSatisfy({ $0.intValue != nil }) else {
            throw r.mismatch("token_ids", "array of integers", ids)
        }
        tokenIDs = idArray.map { $0.intValue! }
        if let p = r.optional("pieces") {
            guard let a = p.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else {
                throw r.mismatch("pieces", "array of strings", p)
            }
            pieces = a.map { $0.stringValue! }
        }
        logprob = try r.doubles("logprob")
        q = try r.doubles("q")
        valueBefore = try r.doubles("value_before")
        valueAfter = try r.doubles("value_after")
        reward = try r.doubles("reward")
        promptValue = r.optional("prompt_value")?.doubleValue
        if case .bool(let b)? = r.optional("terminal") { terminal = b }
        let n = tokenIDs.count
        for (k, a) in [("logprob", logprob.count), ("q", q.count), ("value_before", valueBefore.count),
                       ("value_after", valueAfter.count), ("reward", reward.count), ("pieces", pieces?.count ?? n)]
        where a != n {
            throw ReportError.lengthMismatch(file: file, line: line, key: k, expected: n, actual: a)
        }
    }
}

extension RunData {
    /// The checkpoint SHA-256 a run's files name in their provenance.
    var checkpointSHA256: String? {
        for json in [summary, robustness, length, correlation, sensitivity, steps].compactMap({ $0 }) {
            if let h = json["provenance"]?["checkpoint"]?["sha256"]?.stringValue { return h }
        }
        return nil
    }

    var isAnalysisOnly: Bool {
        summary == nil && pairs.isEmpty && tokens.isEmpty && responses.isEmpty
    }

    /// Each analysis writes a run directory of its own; the report shows an analysis of a
    /// checkpoint beside that checkpoint's scoring run instead of as a run of its own. An
    /// analysis-only run joins the first run with a summary whose checkpoint has the same
    /// SHA-256 and lacks that analysis; anything else stays a run as given.
    public static func combiningAnalyses(_ runs: [RunData]) -> [RunData] {
        var out: [RunData] = []
        var pending: [RunData] = []
        for run in runs {
            if run.isAnalysisOnly { pending.append(run) } else { out.append(run) }
        }
        var rest: [RunData] = []
        for a in pending {
            guard let h = a.checkpointSHA256,
                  let k = out.firstIndex(where: { $0.summary != nil && $0.checkpointSHA256 == h && $0.canTake(a) }) else {
                rest.append(a)
                continue
            }
            for (name, keyPath) in [("robustness", \RunData.robustness), ("length", \RunData.length),
                                    ("correlation", \RunData.correlation), ("sensitivity", \RunData.sensitivity),
                                    ("steps", \RunData.steps)] {
                if let v = a[keyPath: keyPath] {
                    out[k][keyPath: keyPath] = v
                    out[k].notes.append("\(name) from \(a.directory.lastPathComponent) (the same checkpoint)")
                }
            }
        }
        // Keep the order the directories were given in: scoring runs first as given, then analyses that joined none.
        return out + rest
    }

    func canTake(_ a: RunData) -> Bool {
        (a.robustness == nil || robustness == nil) && (a.length == nil || length == nil)
            && (a.correlation == nil || correlation == nil) && (a.sensitivity == nil || sensitivity == nil)
            && (a.steps == nil || steps == nil)
    }
}
