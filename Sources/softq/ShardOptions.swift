import ArgumentParser
import SoftQBase

/// `--shard K/N`, shared by every command whose records can be split across processes
/// (docs/spec/run-directories.md, "Shards and merging"); `softq merge` joins the shards.
struct ShardOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Process only the K-th (from 0) of N contiguous slices of the valid records (after --limit); join the N runs with softq merge.", valueName: "K/N"),
            transform: { try Shard(parsing: $0) })
    var shard: Shard?

    /// The job's identity recorded in the manifest: the resume fingerprint (checkpoint and
    /// input hashes, options) without the shard, plus the shard itself.
    func manifestOptions(_ options: JSONValue, fingerprint: JSONValue) -> JSONValue {
        guard let shard, case .object(var f) = options else { return options }
        f += [("shard", shard.json), ("job", fingerprint)]
        return .object(f)
    }

    /// The resume fingerprint of this shard: a shard's saved progress resumes only the same shard.
    func fingerprint(_ job: JSONValue) -> JSONValue {
        guard let shard, case .object(var f) = job else { return job }
        f.append(("shard", shard.json))
        return .object(f)
    }

    /// summary.json's provenance of a shard names the shard.
    func provenance(_ p: JSONValue) -> JSONValue {
        guard let shard, case .object(var f) = p else { return p }
        f.append(("shard", shard.json))
        return .object(f)
    }
}
