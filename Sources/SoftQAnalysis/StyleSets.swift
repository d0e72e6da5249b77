import Foundation
import SoftQBase

/// A prompt with k chosen and k rejected variants ordered by style, least to most styled
/// (RM-Bench: concise, detailed plain text, detailed markdown).
public struct StyleSet: Sendable, Equatable {
    public var line: Int
    public var id: String
    public var prompt: String
    public var chosen: [String]
    public var rejected: [String]
}

/// The k×k accuracy matrix of style-controlled sets and RM-Bench's three summaries.
///
/// `accuracy[i][j]` is the fraction of prompts whose chosen variant i beats rejected variant j
/// (margin > 0). `hard` averages the cells above the diagonal (chosen less styled than
/// rejected), `normal` the diagonal, `easy` the cells below it — the definitions of RM-Bench
/// (Liu et al., 2024, "RM-Bench: Benchmarking Reward Models of Language Models with Subtlety
/// and Style").
public struct StyleMatrix: Sendable {
    public var k: Int
    public var n: Int
    public var accuracy: [[Double]]
    public var easy: Double
    public var normal: Double
    public var hard: Double

    public var json: JSONValue {
        .object([("n", .int(n)), ("k", .int(k)),
                 ("accuracy", .array(accuracy.map { .array($0.map { AnalysisJSON.number($0) }) })),
                 ("easy", AnalysisJSON.number(easy)), ("normal", AnalysisJSON.number(normal)),
                 ("hard", AnalysisJSON.number(hard))])
    }
}

/// `chosen[p][i]` and `rejected[p][j]`: rewards of prompt p's variants (k ≥ 2 each, same k).
public func styleAccuracy(chosen: [[Double]], rejected: [[Double]]) throws -> StyleMatrix {
    guard chosen.count == rejected.count else {
        throw AnalysisError.lengthMismatch(what: "rejected variant sets", expected: chosen.count, actual: rejected.count)
    }
    guard let k = chosen.first?.count else { throw AnalysisError.notEnoughData(what: "style sets", needed: 1, actual: 0) }
    guard k >= 2 else { throw AnalysisError.notEnoughData(what: "style variants per prompt", needed: 2, actual: k) }
    for (p, (c, r)) in zip(chosen, rejected).enumerated() {
        guard c.count == k else { throw AnalysisError.lengthMismatch(what: "chosen variants of set \(p)", expected: k, actual: c.count) }
        guard r.count == k else { throw AnalysisError.lengthMismatch(what: "rejected variants of set \(p)", expected: k, actual: r.count) }
    }
    let n = chosen.count
    var acc = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for i in 0..<k {
        for j in 0..<k {
            acc[i][j] = Double((0..<n).filter { chosen[$0][i] - rejected[$0][j] > 0 }.count) / Double(n)
        }
    }
    var upper = 0.0, lower = 0.0, diag = 0.0
    for i in 0..<k {
        diag += acc[i][i]
        for j in 0..<k where j > i { upper += acc[i][j]; lower += acc[j][i] }
    }
    let off = Double(k * (k - 1) / 2)
    return StyleMatrix(k: k, n: n, accuracy: acc, easy: lower / off, normal: diag / Double(k), hard: upper / off)
}

/// Reads a style-set file: JSONL lines with `prompt` (string), `chosen` and `rejected` (arrays
/// of k strings each, least to most styled), optional `id`. Every line must have the same k.
public func readStyleSets(path: String) throws -> [StyleSet] {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        throw AnalysisError.invalidInput(file: path, line: 0, field: "(file)", message: "cannot read the file as UTF-8")
    }
    var sets: [StyleSet] = []
    for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = k + 1
        let s = String(raw)
        if s.allSatisfy({ $0.isWhitespace }) { continue }
        let v: JSONValue
        do { v = try JSONParser.parse(s) } catch {
            throw AnalysisError.invalidInput(file: path, line: line, field: "(line)", message: "invalid JSON: \(error)")
        }
        func strings(_ key: String) throws -> [String] {
            guard let a = v[key]?.arrayValue else {
                throw AnalysisError.invalidInput(file: path, line: line, field: key, message: "expected an array of strings (the style variants)")
            }
            return try a.map {
                guard let t = $0.stringValue, !t.isEmpty else {
                    throw AnalysisError.invalidInput(file: path, line: line, field: key, message: "every variant must be a non-empty string")
                }
                return t
            }
        }
        guard let prompt = v["prompt"]?.stringValue else {
            throw AnalysisError.invalidInput(file: path, line: line, field: "prompt", message: "missing or not a string")
        }
        let c = try strings("chosen"), r = try strings("rejected")
        guard c.count >= 2, c.count == r.count else {
            throw AnalysisError.invalidInput(file: path, line: line, field: "rejected", message: "needs as many variants as chosen (≥ 2), found \(c.count) chosen and \(r.count) rejected")
        }
        if let first = sets.first, first.chosen.count != c.count {
            throw AnalysisError.invalidInput(file: path, line: line, field: "chosen", message: "has \(c.count) variants, but line \(first.line) has \(first.chosen.count)")
        }
        let id = v["id"]?.stringValue ?? v["id"]?.intValue.map(String.init) ?? "line-\(line)"
        sets.append(StyleSet(line: line, id: id, prompt: prompt, chosen: c, rejected: r))
    }
    return sets
}
