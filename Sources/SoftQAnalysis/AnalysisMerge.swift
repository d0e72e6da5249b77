import Foundation
import SoftQBase

/// `softq merge` for the shards of `robustness`, `correlate` and `analyze length|sensitivity`:
/// the shards' records combined in shard order, the statistics computed over all of them with
/// the job's parameters, and the files written by the analysis's own writer
/// (docs/spec/run-directories.md, "Shards and merging").
public enum AnalysisMerge {
    /// Run kind (the manifest's `run`) → the analysis.
    public static var runs: [String: any ShardableAnalysis.Type] {
        ["correlate": CorrelationAnalysis.self, "analyze length": LengthAnalysis.self,
         "analyze sensitivity": SensitivityAnalysis.self, "robustness": RobustnessAnalysis.self]
    }

    public struct Result {
        public var records: Int
        public var options: JSONValue
        public var provenance: JSONValue
        public var files: AnalysisFiles
    }

    public static func write(shards: [ShardRun], to dir: URL, out: String) throws -> Result {
        let run = shards[0].manifest.run
        guard let analysis = runs[run] else { throw ShardMergeError.unsupported(run: run) }
        return try merge(analysis, shards: shards, to: dir, out: out)
    }

    static func merge<A: ShardableAnalysis>(_: A.Type, shards: [ShardRun], to dir: URL, out: String) throws -> Result {
        var parts: [A.Part] = []
        var parameters: (A.Parameters, Data)?
        var skipped = 0
        var firstSummary: JSONValue = .null
        for s in shards {
            let summary = try ShardSet.json("\(A.name).json", of: s)
            guard let data = try ShardSet.read(A.shardFileName, of: s) else {
                throw ShardMergeError.unreadable(directory: s.directory.path, file: A.shardFileName, reason: "missing from the shard's manifest")
            }
            let shard: (part: A.Part, parameters: A.Parameters, parameterBytes: Data)
            do { shard = try A.readShard(data, path: s.directory.appendingPathComponent(A.shardFileName).path) } catch {
                throw ShardMergeError.unreadable(directory: s.directory.path, file: A.shardFileName, reason: "\(error)")
            }
            if let (_, bytes) = parameters, bytes != shard.parameterBytes {
                // The manifests' job identities matched, so this is a corrupt or hand-made shard.
                throw ShardMergeError.foreign(directory: s.directory.path, first: shards[0].directory.path,
                                              difference: "its analysis parameters differ from the first shard's")
            }
            if parameters == nil {
                parameters = (shard.parameters, shard.parameterBytes)
                firstSummary = summary
            }
            parts.append(shard.part)
            skipped += summary["options"]?["skipped_inputs"]?.intValue ?? 0
        }
        guard let (p, _) = parameters else { throw ShardMergeError.noShards }
        let all = A.combine(parts)
        let provenance = ShardSet.mergedProvenance(firstSummary["provenance"] ?? .null, shards: shards, out: out)
        var options = firstSummary["options"] ?? .null
        if case .object(var f) = options, let k = f.firstIndex(where: { $0.0 == "skipped_inputs" }) {
            f[k].1 = .int(skipped)
            options = .object(f)
        }
        let files = A.files(try A.analyze(all, p), all, p, options: options, provenance: provenance)
        try files.write(to: dir.path)
        return Result(records: A.records(all), options: options, provenance: provenance, files: files)
    }
}
