import Foundation

/// How a command treats an output directory that already holds a run.
public enum RunMode: Sendable {
    /// Refuse a directory that holds a run (or anything else).
    case fresh
    /// Replace the run as a whole.
    case force
    /// Continue an unfinished run from its saved progress (or start one in an empty directory).
    case resume
}

/// Writes one run directory as a unit (docs/spec/outputs.md): refuses to write over an input or into
/// a directory holding one, holds the directory's lock while writing, replaces an older run
/// only when asked, removes temporaries that killed runs left, and commits by writing
/// `manifest.json` last. Every command with `--out DIR` goes through it.
///
///     let w = try RunWriter(out: out, run: "score", inputs: [...], mode: mode)
///     defer { w.close() }
///     try w.perform { w in …write files into w.directory…; try w.commit(options:provenance:) }
///
/// `@unchecked Sendable`: the one cross-thread use is the SIGINT/SIGTERM cleanup, which runs
/// `abandon` on a dispatch thread just before the process exits; everything else stays on the
/// command's thread. What both threads touch (`manifest`, `progress`, `command`, the lock and
/// the cleanup token) is read and written under `stateLock`, and the progress log has its own.
public final class RunWriter: @unchecked Sendable {
    public let directory: URL
    public let run: String
    public let mode: RunMode
    /// The command that started the run: a resumed run keeps the original command line.
    public private(set) var command: [String]
    public private(set) var progress: RunProgress?
    public private(set) var manifest: RunManifest?
    /// Stale temporaries of killed runs removed when the directory was opened.
    public private(set) var removedTemporaries: [String] = []

    private var lock: RunLock?
    private let created: Bool
    private let inputs: [InputIdentity]
    private var cleanupToken: Int?
    private let stateLock = NSLock()

    /// Opens `out` for writing a run of `run` (e.g. "score") from `inputs` (every file the run
    /// reads: checkpoints, tokenizer, pairs, generations…; nil entries are ignored).
    public init(out: String, option: String = "--out", run: String, inputs: [String?], mode: RunMode,
                command: [String] = CommandLine.arguments) throws {
        guard !out.isEmpty else { throw RunDirectoryError.emptyOutPath(option: option) }
        let url = URL(fileURLWithPath: out).standardizedFileURL
        self.run = run
        self.mode = mode
        self.command = command
        self.inputs = inputs.compactMap { $0 }.compactMap(InputIdentity.init)
        try Self.checkNotInput(url, inputs: self.inputs)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: url.path, isDirectory: &isDir)
        if exists && !isDir.boolValue { throw RunDirectoryError.notADirectory(path: url.path) }
        if exists, let id = InputIdentity(url.path) {
            for input in self.inputs where input.ancestors.contains(where: { $0.sameFile(as: id) }) {
                throw RunDirectoryError.holdsInput(directory: url.path, input: input.path)
            }
        }
        if !exists {
            do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch {
                throw RunDirectoryError.io(path: url.path, reason: "cannot create the output directory: \(error.localizedDescription)")
            }
        }
        directory = url
        created = !exists
        do {
            lock = try RunLock(directory: url)
            try prepare()
        } catch {
            // A refused directory is left as it was: without a lock file this run added.
            if let l = lock, l.createdFile {
                l.release()
                unlink(url.appendingPathComponent(RunLock.fileName).path)
            }
            abandon(removeOutputs: false)
            throw error
        }
        removedTemporaries = TemporaryFiles.removeStale(in: url)
            + TemporaryFiles.removeStale(in: url.appendingPathComponent("plots")).map { "plots/" + $0 }
            + TemporaryFiles.removeStale(in: url.appendingPathComponent(RunProgress.directoryName)).map { RunProgress.directoryName + "/" + $0 }
        TemporaryFiles.installSignalCleanup()
        cleanupToken = TemporaryFiles.addCleanup { [self] in abandon(removeOutputs: true) }
    }

    /// Decides, under the lock, whether the directory's current content allows this run.
    private func prepare() throws {
        let fm = FileManager.default
        let hasManifest = fm.fileExists(atPath: directory.appendingPathComponent(RunManifest.fileName).path)
        let hasProgress = fm.fileExists(atPath: directory.appendingPathComponent(RunProgress.directoryName).path)
        let entries = try RunManifest.outputFiles(in: directory)
        let topLevel = Set(entries.map { String($0.split(separator: "/").first ?? "") })
        let foreign = topLevel.sorted().first { !Self.isKnownOutputName($0) }
        if entries.isEmpty && !hasManifest && !hasProgress { return }
        let looksLikeRun = hasManifest || hasProgress
            || (foreign == nil && topLevel.contains { $0 == "summary.json" || Self.analysisSummaryNames.contains($0) })
        guard looksLikeRun else {
            throw RunDirectoryError.notARunDirectory(directory: directory.path, entry: foreign ?? entries[0])
        }
        let listed = Set((try? RunManifest.read(directory))?.files.map(\.path) ?? [])
        // A file neither the old run listed nor softq writes is someone's: never replace or adopt it.
        if let stray = entries.first(where: { !listed.contains($0) && !Self.isKnownOutputName(String($0.split(separator: "/")[0])) }) {
            throw RunDirectoryError.notARunDirectory(directory: directory.path, entry: stray)
        }
        for e in entries {
            let path = directory.appendingPathComponent(e).path
            if let id = InputIdentity(path), let input = inputs.first(where: { $0.sameFile(as: id) }) {
                throw RunDirectoryError.outputIsInput(output: path, input: input.path)
            }
        }
        switch mode {
        case .fresh:
            if hasProgress && !hasManifest { throw RunDirectoryError.unfinishedRun(directory: directory.path, resumable: true) }
            throw RunDirectoryError.existingRun(directory: directory.path, resumable: true)
        case .resume:
            if !hasProgress { throw RunDirectoryError.nothingToResume(directory: directory.path) }
            // Outputs of the interrupted attempt are rewritten from the saved progress (a
            // manifest too, if the attempt died between writing it and dropping the progress).
            try remove(RunManifest.fileName)
            try removeOutputs(entries)
        case .force:
            // The manifest goes first: an interrupted replacement must not look like a whole run.
            try remove(RunManifest.fileName)
            try removeOutputs(entries)
            try remove(RunProgress.directoryName)
        }
    }

    private func remove(_ relative: String) throws {
        let url = directory.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw RunDirectoryError.io(path: url.path, reason: "cannot remove: \(error.localizedDescription)")
        }
    }

    private func removeOutputs(_ entries: [String]) throws {
        for e in entries { try remove(e) }
        let plots = directory.appendingPathComponent("plots")
        if (try? FileManager.default.contentsOfDirectory(atPath: plots.path))?.isEmpty == true { try remove("plots") }
    }

    /// The durable progress of a resumable command: saved records when resuming, a fresh log otherwise.
    /// `fingerprint` names everything the results depend on (input hashes, options).
    public func startProgress(fingerprint: JSONValue) throws -> RunProgress {
        let p = try RunProgress(runDirectory: directory, run: run, command: command, fingerprint: fingerprint, resume: mode == .resume)
        stateLock.lock()
        defer { stateLock.unlock() }
        command = p.command
        progress = p
        return p
    }

    /// Runs `body`; if it throws, the directory is left as no result (see `abandon`).
    public func perform<T>(_ body: (RunWriter) throws -> T) throws -> T {
        do { return try body(self) } catch {
            abandon(removeOutputs: true)
            throw error
        }
    }

    /// Writes `manifest.json` over every output file now in the directory, then drops the
    /// resume progress. Call after the last output file is written.
    public func commit(options: JSONValue, provenance: JSONValue) throws {
        if ProcessInfo.processInfo.environment["SOFTQ_TEST_KILL_BEFORE_MANIFEST"] != nil { kill(getpid(), SIGKILL) }
        // A signal during the commit waits for it, then finds the run committed and keeps it.
        stateLock.lock()
        defer { stateLock.unlock() }
        let m = try RunManifest.make(directory: directory, run: run, command: command, options: options, provenance: provenance)
        try m.write(to: directory)
        manifest = m
        progress?.finish()
        progress = nil
    }

    /// Adds files written after the commit (e.g. report.html, plots) and rewrites the manifest atomically.
    public func add(_ relativePaths: [String]) throws {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard var m = manifest else { return }
        try m.update(relativePaths, in: directory)
        try m.write(to: directory)
        manifest = m
    }

    /// Opens an existing, verified run directory to add files to it (softq report): takes the
    /// lock and checks the files against the manifest. Returns nil for a directory without a
    /// manifest (an older run, or not a run), which is then written without one.
    public static func appending(to directory: URL) throws -> RunWriter? {
        let url = directory.standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent(RunManifest.fileName).path) else { return nil }
        return try RunWriter(appendingTo: url)
    }

    private init(appendingTo url: URL) throws {
        directory = url
        created = false
        mode = .resume
        inputs = []
        lock = try RunLock(directory: url)
        guard let m = try RunManifest.verify(url) else { throw RunDirectoryError.invalidManifest(path: url.path, reason: "missing") }
        manifest = m
        run = m.run
        command = m.command
        removedTemporaries = TemporaryFiles.removeStale(in: url) + TemporaryFiles.removeStale(in: url.appendingPathComponent("plots")).map { "plots/" + $0 }
        TemporaryFiles.installSignalCleanup()
    }

    /// Releases the lock. The lock file stays (hidden); the kernel would release the lock at exit anyway.
    public func close() {
        stateLock.lock()
        defer { stateLock.unlock() }
        if let t = cleanupToken { TemporaryFiles.removeCleanup(t) }
        cleanupToken = nil
        lock?.release()
        lock = nil
    }

    /// A failed or interrupted run leaves no result: its output files go (there is no manifest
    /// to vouch for them), saved progress stays for --resume if it holds any record, and a
    /// directory this run created (or the lock file it added) is removed when nothing else is
    /// left in it.
    func abandon(removeOutputs: Bool) {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard manifest == nil else { return }
        let fm = FileManager.default
        if removeOutputs, let entries = try? RunManifest.outputFiles(in: directory) { try? self.removeOutputs(entries) }
        progress?.finishIfEmpty()
        let left = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        guard left.allSatisfy({ $0 == RunLock.fileName }), created || lock?.createdFile == true else { return }
        lock?.release()
        unlink(directory.appendingPathComponent(RunLock.fileName).path)
        if created { rmdir(directory.path) }
    }

    static let analysisSummaryNames: Set<String> = Set(["robustness", "length", "sensitivity", "stability", "style", "correlation"].map { $0 + ".json" })

    /// Names softq writes into run directories (today's and older versions'): a directory of
    /// only these, with a summary, is taken for a run written before manifests existed.
    public static func isKnownOutputName(_ name: String) -> Bool {
        let fixed: Set<String> = ["pairs.jsonl", "pairs.csv", "tokens.h5", "tokens.jsonl", "summary.json", "responses.jsonl",
                                  "report.html", "plots"]
        if fixed.contains(name) || analysisSummaryNames.contains(name) { return true }
        for a in ["robustness", "length", "sensitivity", "stability", "style", "correlation"] where name.hasPrefix(a + "_") {
            // `<analysis>_shard.bin`: a shard's records for softq merge.
            if name.hasSuffix(".jsonl") || name.hasSuffix(".csv") || name == a + "_shard.bin" { return true }
        }
        return false
    }

    /// Refuses an output path that is itself an input (by path or by device and inode).
    public static func checkNotInput(_ url: URL, inputs: [InputIdentity]) throws {
        guard let id = InputIdentity(url.path) else { return }
        if let input = inputs.first(where: { $0.sameFile(as: id) }) {
            throw RunDirectoryError.outputIsInput(output: url.path, input: input.path)
        }
    }
}

/// An existing file by resolved path and by device and inode (the same file under two
/// names, through a symlink or a hard link, is still the same file).
public struct InputIdentity: Sendable {
    public let path: String
    public let device: UInt64
    public let inode: UInt64

    /// nil when the path does not exist (the command reports a missing input itself).
    public init?(_ path: String) {
        var st = stat()
        guard !path.isEmpty, stat(path, &st) == 0 else { return nil }
        self.path = path
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    public func sameFile(as other: InputIdentity) -> Bool { device == other.device && inode == other.inode }

    /// Every directory above the file (resolved), nearest first.
    public var ancestors: [InputIdentity] {
        guard let real = realpath(path, nil) else { return [] }
        var url = URL(fileURLWithPath: String(cString: real))
        free(real)
        var out: [InputIdentity] = []
        while url.path != "/" {
            url.deleteLastPathComponent()
            if let id = InputIdentity(url.path) { out.append(id) }
        }
        return out
    }
}
