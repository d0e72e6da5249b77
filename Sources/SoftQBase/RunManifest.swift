import Foundation

/// `manifest.json`, written last into a run directory: every file of the run with its size
/// and SHA-256, the command, the run's options and provenance. A directory whose manifest is
/// present is complete; readers check its files against it (docs/spec/outputs.md).
public struct RunManifest: Sendable, Equatable {
    public static let fileName = "manifest.json"
    public static let schemaVersion = 1

    public struct Entry: Sendable, Equatable {
        /// Relative to the run directory, `/`-separated (e.g. `plots/margins.svg`).
        public var path: String
        public var size: Int
        public var sha256: String
    }

    /// The subcommand that wrote the run (`score`, `extract`, `analyze length`, …).
    public var run: String
    public var command: [String]
    public var softqVersion: String
    public var options: JSONValue
    public var provenance: JSONValue
    /// Sorted by path.
    public var files: [Entry]

    public var json: JSONValue {
        .object([
            ("schema_version", .int(Self.schemaVersion)),
            ("softq_version", .string(softqVersion)),
            ("run", .string(run)),
            ("command", .array(command.map { .string($0) })),
            ("options", options),
            ("provenance", provenance),
            ("files", .array(files.map {
                .object([("path", .string($0.path)), ("size", .int($0.size)), ("sha256", .string($0.sha256))])
            })),
        ])
    }

    /// Names in a run directory that are machinery, not outputs: the manifest, the lock, the
    /// resume progress and in-flight temporaries.
    public static func isMachinery(_ name: String) -> Bool {
        name == fileName || name == RunLock.fileName || name == RunProgress.directoryName
            || TemporaryFiles.owner(ofTemporaryName: name) != nil
    }

    /// Every output file under `directory` (recursively, machinery excluded), as sorted
    /// relative paths.
    public static func outputFiles(in directory: URL) throws -> [String] {
        var out: [String] = []
        func walk(_ dir: URL, _ prefix: String) throws {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
                throw RunDirectoryError.io(path: dir.path, reason: "cannot list: \(error.localizedDescription)")
            }
            for name in names where !(prefix.isEmpty && isMachinery(name)) && TemporaryFiles.owner(ofTemporaryName: name) == nil {
                var isDir: ObjCBool = false
                let url = dir.appendingPathComponent(name)
                _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
                if isDir.boolValue { try walk(url, prefix + name + "/") } else { out.append(prefix + name) }
            }
        }
        try walk(directory, "")
        return out.sorted()
    }

    static func entry(_ path: String, in directory: URL) throws -> Entry {
        let url = directory.appendingPathComponent(path)
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            return Entry(path: path, size: size, sha256: try FileDigest.sha256(path: url.path))
        } catch let e as FileDigest.ReadError {
            throw RunDirectoryError.io(path: e.path, reason: e.reason)
        } catch {
            throw RunDirectoryError.io(path: url.path, reason: error.localizedDescription)
        }
    }

    /// A manifest of every output file now in `directory`.
    public static func make(directory: URL, run: String, command: [String], options: JSONValue, provenance: JSONValue) throws -> RunManifest {
        RunManifest(run: run, command: command, softqVersion: SoftQVersion.string, options: options, provenance: provenance,
                    files: try outputFiles(in: directory).map { try entry($0, in: directory) })
    }

    /// Adds (or rehashes) `paths`, keeping the list sorted.
    public mutating func update(_ paths: [String], in directory: URL) throws {
        for p in paths {
            let e = try Self.entry(p, in: directory)
            if let k = files.firstIndex(where: { $0.path == p }) { files[k] = e } else { files.append(e) }
        }
        files.sort { $0.path < $1.path }
    }

    public func write(to directory: URL) throws {
        do { try AtomicFile.write(json.prettySerialized(), to: directory.appendingPathComponent(Self.fileName)) } catch let e as AtomicFile.WriteError {
            throw RunDirectoryError.io(path: e.path, reason: e.reason)
        }
    }

    /// The manifest of `directory`, or nil when it has none (a run of an older softq).
    public static func read(_ directory: URL) throws -> RunManifest? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        func bad(_ reason: String) -> RunDirectoryError { .invalidManifest(path: url.path, reason: reason) }
        let json: JSONValue
        do { json = try JSONParser.parse(try String(contentsOf: url, encoding: .utf8)) } catch {
            throw bad("\(error)")
        }
        guard let version = json["schema_version"]?.intValue else { throw bad("missing schema_version") }
        guard version <= schemaVersion else { throw bad("schema_version \(version) is newer than this softq reads (\(schemaVersion))") }
        guard let run = json["run"]?.stringValue, let files = json["files"]?.arrayValue,
              let command = json["command"]?.arrayValue?.compactMap(\.stringValue) else {
            throw bad("missing run, command or files")
        }
        var entries: [Entry] = []
        for f in files {
            guard let p = f["path"]?.stringValue, let size = f["size"]?.intValue, let h = f["sha256"]?.stringValue else {
                throw bad("a files entry lacks path, size or sha256")
            }
            // A manifest names files inside its directory only.
            guard !p.isEmpty, !p.hasPrefix("/"), !p.split(separator: "/").contains("..") else { throw bad("file path '\(p)' leaves the directory") }
            entries.append(Entry(path: p, size: size, sha256: h))
        }
        return RunManifest(run: run, command: command, softqVersion: json["softq_version"]?.stringValue ?? "",
                           options: json["options"] ?? .null, provenance: json["provenance"] ?? .null, files: entries)
    }

    /// Checks `directory` against its manifest: every listed file present with its hash, no
    /// unlisted output file. Returns the manifest, or nil when there is none (unverified).
    /// An unfinished run (resume progress, no manifest) is an error: its files are not a result.
    @discardableResult
    public static func verify(_ directory: URL, resumable: Bool = true) throws -> RunManifest? {
        guard let m = try read(directory) else {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunProgress.directoryName).path) {
                throw RunDirectoryError.unfinishedRun(directory: directory.path, resumable: resumable)
            }
            return nil
        }
        for e in m.files {
            let url = directory.appendingPathComponent(e.path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw RunDirectoryError.fileMissing(directory: directory.path, file: e.path)
            }
            let actual = try entry(e.path, in: directory)
            if actual.sha256 != e.sha256 {
                throw RunDirectoryError.fileChanged(directory: directory.path, file: e.path, expected: e.sha256, actual: actual.sha256)
            }
        }
        let listed = Set(m.files.map(\.path))
        if let extra = try outputFiles(in: directory).first(where: { !listed.contains($0) }) {
            throw RunDirectoryError.fileUnlisted(directory: directory.path, file: extra)
        }
        return m
    }
}
