import Foundation

/// Why a set of shard runs cannot be merged; each case names the shard directory at fault.
public enum ShardMergeError: Error, CustomStringConvertible, Equatable {
    case noShards
    /// A directory without a manifest, or a run not made with `--shard`.
    case notAShard(directory: String, reason: String)
    /// A shard of another job: another command, shard count, checkpoint, input or options.
    case foreign(directory: String, first: String, difference: String)
    case repeated(index: Int, count: Int, directories: [String])
    case missing(indices: [Int], count: Int)
    /// The shards were verified, but this run kind cannot be merged (yet).
    case unsupported(run: String)
    case unreadable(directory: String, file: String, reason: String)

    public var description: String {
        switch self {
        case .noShards:
            return "softq merge needs the shard run directories to join"
        case let .notAShard(d, r):
            return "\(d) is not a shard run: \(r)"
        case let .foreign(d, first, diff):
            return "\(d) is a shard of another job than \(first): \(diff); merge only the shards of one run"
        case let .repeated(k, n, dirs):
            return "shard \(k)/\(n) is given more than once: \(dirs.joined(separator: ", "))"
        case let .missing(ks, n):
            return "shard\(ks.count == 1 ? "" : "s") \(ks.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: all \(n) shards of the job are needed"
        case let .unsupported(run):
            return "merging '\(run)' runs is not supported"
        case let .unreadable(d, f, r):
            return "\(d)/\(f): \(r)"
        }
    }
}

/// One verified shard run: its directory, manifest and place in the job.
public struct ShardRun: Sendable {
    public var directory: URL
    public var manifest: RunManifest
    public var shard: Shard
    /// The job identity the shard recorded (checkpoint and input hashes, options).
    public var job: JSONValue
}

/// The N shard runs of one job, checked (docs/spec/run-directories.md, "Shards and merging").
public enum ShardSet {
    /// Verifies every directory against its manifest and returns the shards ordered by index.
    /// Refuses a directory that is not a finished shard run, shards of different jobs (command,
    /// shard count, checkpoint, inputs, options) and a set with a shard repeated or missing.
    public static func load(_ paths: [String]) throws -> [ShardRun] {
        guard !paths.isEmpty else { throw ShardMergeError.noShards }
        var runs: [ShardRun] = []
        for p in paths {
            let url = URL(fileURLWithPath: p).standardizedFileURL
            guard let m = try RunManifest.verify(url) else {
                throw ShardMergeError.notAShard(directory: url.path, reason: "it has no manifest.json (an unfinished run or not a run directory)")
            }
            guard let shard = Shard(json: m.options["shard"]), let job = m.options["job"] else {
                throw ShardMergeError.notAShard(directory: url.path, reason: "its manifest records no shard (it was not run with --shard)")
            }
            runs.append(ShardRun(directory: url, manifest: m, shard: shard, job: job))
        }
        let first = runs[0]
        for r in runs.dropFirst() {
            func foreign(_ d: String) -> ShardMergeError { .foreign(directory: r.directory.path, first: first.directory.path, difference: d) }
            if r.manifest.run != first.manifest.run { throw foreign("it is a '\(r.manifest.run)' run, not '\(first.manifest.run)'") }
            if r.shard.count != first.shard.count { throw foreign("it is one of \(r.shard.count) shards, not \(first.shard.count)") }
            if let d = difference(first.job, r.job, path: "") { throw foreign(d) }
        }
        let n = first.shard.count
        var byIndex: [Int: [ShardRun]] = [:]
        for r in runs { byIndex[r.shard.index, default: []].append(r) }
        if let (k, dup) = byIndex.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 1 }) {
            throw ShardMergeError.repeated(index: k, count: n, directories: dup.map(\.directory.path))
        }
        let missing = (0..<n).filter { byIndex[$0] == nil }
        if !missing.isEmpty { throw ShardMergeError.missing(indices: missing, count: n) }
        return runs.sorted { $0.shard.index < $1.shard.index }
    }

    /// The first place where two job identities differ, as `key: a ≠ b` (nil when equal).
    static func difference(_ a: JSONValue, _ b: JSONValue, path: String) -> String? {
        if case .object(let fa) = a, case .object(let fb) = b {
            for key in (fa.map(\.0) + fb.map(\.0).filter { k in !fa.contains { $0.0 == k } }) {
                let sub = path.isEmpty ? key : path + "." + key
                guard let va = a[key] else { return "\(sub) is only in this shard" }
                guard let vb = b[key] else { return "\(sub) is missing in this shard" }
                if let d = difference(va, vb, path: sub) { return d }
            }
            return nil
        }
        return a == b ? nil : "\(path) differs: \(b.serialized()) here, \(a.serialized()) in the first"
    }
}

extension ShardSet {
    /// The command line one process would have run for the job: a shard's command without its
    /// `--shard K/N` and with `--out` naming the merged run.
    public static func singleProcessCommand(_ shardCommand: [String], out: String) -> [String] {
        var result: [String] = []
        var k = 0
        while k < shardCommand.count {
            let a = shardCommand[k]
            if a == "--shard" { k += 2; continue }
            if a.hasPrefix("--shard=") { k += 1; continue }
            if a == "--out", k + 1 < shardCommand.count {
                result += [a, out]
                k += 2
                continue
            }
            result.append(a.hasPrefix("--out=") ? "--out=" + out : a)
            k += 1
        }
        return result
    }

    /// The merged run's provenance from the first shard's: the single-process command, the time
    /// of the merge (in place), no `shard`, and `shards` naming the merged directories in order.
    public static func mergedProvenance(_ shardProvenance: JSONValue, shards: [ShardRun], out: String, time: Date = Date()) -> JSONValue {
        guard case .object(let fields) = shardProvenance else { return shardProvenance }
        var f: [(String, JSONValue)] = []
        for (k, v) in fields where k != "shard" {
            switch k {
            case "command":
                f.append((k, .array(singleProcessCommand(v.arrayValue?.compactMap(\.stringValue) ?? [], out: out).map { .string($0) })))
            case "time":
                f.append((k, .string(ISO8601DateFormatter().string(from: time))))
            default:
                f.append((k, v))
            }
        }
        f.append(("shards", .array(shards.map { .object([("index", .int($0.shard.index)), ("directory", .string($0.directory.path))]) })))
        return .object(f)
    }

    /// The bytes of `file` in a shard, or nil when the shard's manifest does not list it.
    public static func read(_ file: String, of shard: ShardRun) throws -> Data? {
        guard shard.manifest.files.contains(where: { $0.path == file }) else { return nil }
        do { return try Data(contentsOf: shard.directory.appendingPathComponent(file)) } catch {
            throw ShardMergeError.unreadable(directory: shard.directory.path, file: file, reason: error.localizedDescription)
        }
    }

    /// A shard's JSON file, parsed.
    public static func json(_ file: String, of shard: ShardRun) throws -> JSONValue {
        guard let data = try read(file, of: shard) else {
            throw ShardMergeError.unreadable(directory: shard.directory.path, file: file, reason: "missing from the shard's manifest")
        }
        do { return try JSONParser.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw ShardMergeError.unreadable(directory: shard.directory.path, file: file, reason: "\(error)")
        }
    }
}
