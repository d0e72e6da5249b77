import Foundation
import HDF5Kit

/// Reads `tokens.h5` (layout in docs/spec/outputs.md): per-token arrays concatenated over
/// responses under `/tokens/<name>`, split by `/responses/offsets` (n+1 entries).
///
/// `/responses/side` may be strings (`chosen`/`rejected`) or integers (0 = chosen,
/// 1 = rejected); `/responses/id`, `/responses/pair`, `/tokens/pieces` are optional.
enum TokenFileHDF5 {
    static func read(_ url: URL) throws -> ([TokenRecord], String?) {
        let name = url.lastPathComponent
        do {
            let f = try H5File(path: url.path)
            func doubles(_ path: String) throws -> [Double] { try f.dataset(path).read(as: Double.self) }
            func ints(_ path: String) throws -> [Int] { try f.dataset(path).read(as: Int64.self).map { Int($0) } }
            let offsets = try ints("/responses/offsets")
            guard let total = offsets.last, offsets.first == 0, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw ReportError.tokenFile(file: name, key: "/responses/offsets", message: "must start at 0 and never decrease")
            }
            let n = offsets.count - 1
            var columns: [String: [Double]] = [:]
            for key in ["logprob", "q", "value_before", "value_after", "reward"] {
                columns[key] = try doubles("/tokens/\(key)")
            }
            let ids = try ints("/tokens/token_ids")
            let pieces = f.contains("/tokens/pieces") ? try f.dataset("/tokens/pieces").readStrings() : nil
            for (key, count) in columns.map({ ($0.key, $0.value.count) }).sorted(by: { $0.0 < $1.0 })
                + [("token_ids", ids.count), ("pieces", pieces?.count ?? total)] where count != total {
                throw ReportError.lengthMismatch(file: name, line: nil, key: "/tokens/\(key)", expected: total, actual: count)
            }
            func perResponse<T>(_ path: String, _ read: (String) throws -> [T]) throws -> [T]? {
                guard f.contains(path) else { return nil }
                let v = try read(path)
                guard v.count == n else { throw ReportError.lengthMismatch(file: name, line: nil, key: path, expected: n, actual: v.count) }
                return v
            }
            let pair = try perResponse("/responses/pair", ints)
            let responseIDs = try perResponse("/responses/id") { try f.dataset($0).readStrings() }
            let side: [String]?
            var sideIsString = false
            if f.contains("/responses/side"), case .string = try f.dataset("/responses/side").elementType { sideIsString = true }
            if sideIsString {
                side = try perResponse("/responses/side") { try f.dataset($0).readStrings() }
            } else {
                side = try perResponse("/responses/side", ints)?.map { $0 == 0 ? "chosen" : "rejected" }
            }
            let promptValue = try perResponse("/responses/prompt_value", doubles)
            let terminal = try perResponse("/responses/terminal", ints)
            let records = (0..<n).map { k -> TokenRecord in
                let r = offsets[k]..<offsets[k + 1]
                return TokenRecord(pair: pair?[k], id: responseIDs?[k] ?? "", side: side?[k], tokenIDs: Array(ids[r]),
                                   pieces: pieces.map { Array($0[r]) }, logprob: Array(columns["logprob"]![r]),
                                   q: Array(columns["q"]![r]), valueBefore: Array(columns["value_before"]![r]),
                                   valueAfter: Array(columns["value_after"]![r]), reward: Array(columns["reward"]![r]),
                                   promptValue: promptValue?[k], terminal: terminal.map { $0[k] != 0 })
            }
            return (records, nil)
        } catch let e as HDF5Error {
            throw ReportError.tokenFile(file: name, key: e.object, message: e.description)
        }
    }
}
