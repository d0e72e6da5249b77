import Foundation

/// The durable progress of an unfinished run, in `DIR/.softq-progress/`: `state.json` (the
/// command that started the run and the fingerprint of its inputs and options) and
/// `records.bin`, an append-only log of per-record results in input order.
///
/// Each record is framed as [UInt32 length][payload][UInt64 FNV-1a of payload], little-endian,
/// so a record torn by kill -9 or power loss is recognised and dropped on resume. Appends are
/// fsynced at least every `syncEvery` records or `syncInterval` seconds: a power loss costs at
/// most that much work; kill -9 costs nothing that was written (the page cache survives it).
public final class RunProgress {
    public static let directoryName = ".softq-progress"
    public static let syncEvery = 64
    public static let syncInterval: TimeInterval = 5
    static let stateName = "state.json"
    static let recordsName = "records.bin"
    static let schemaVersion = 1

    public let directory: URL
    /// The command line that started the run (a resumed run reports it, not its own).
    public let command: [String]
    /// Records saved by earlier attempts, in input order.
    public let saved: [Data]
    public var resumed: Int { saved.count }
    public private(set) var count: Int
    /// fsyncs done so far (so tests can check the durability policy).
    public private(set) var syncs = 0

    private var fd: Int32
    private var unsynced = 0
    private var lastSync = Date()
    private let killAfter: Int?
    /// Guards the log (`fd`, `count`, the directory) against the SIGINT/SIGTERM cleanup, which
    /// may call `finishIfEmpty` on another thread while the command appends. Recursive: `append`
    /// calls `sync`, `finishIfEmpty` calls `finish`.
    private let lock = NSRecursiveLock()

    /// Starts a fresh log (replacing any older one) or, when `resume` and a log exists,
    /// continues it after checking that `fingerprint` matches the one the run started with.
    public init(runDirectory: URL, run: String, command: [String], fingerprint: JSONValue, resume: Bool) throws {
        directory = runDirectory.appendingPathComponent(Self.directoryName)
        let stateURL = directory.appendingPathComponent(Self.stateName)
        let recordsURL = directory.appendingPathComponent(Self.recordsName)
        let fm = FileManager.default
        var saved: [Data] = []
        var startedWith = command
        if resume, fm.fileExists(atPath: stateURL.path) {
            let state: JSONValue
            do { state = try JSONParser.parse(try String(contentsOf: stateURL, encoding: .utf8)) } catch {
                throw RunDirectoryError.corruptProgress(path: stateURL.path, reason: "\(error)")
            }
            let diffs = Self.differences(state["run"] ?? .null, .string(run), path: "command")
                + Self.differences(state["fingerprint"] ?? .null, fingerprint)
            if !diffs.isEmpty { throw RunDirectoryError.resumeMismatch(directory: runDirectory.path, differences: diffs) }
            startedWith = state["command"]?.arrayValue?.compactMap(\.stringValue) ?? command
            let (records, validLength) = try Self.readRecords(recordsURL)
            saved = records
            // Drop a torn tail so new records follow the last whole one.
            if truncate(recordsURL.path, off_t(validLength)) != 0 && errno != ENOENT {
                throw RunDirectoryError.io(path: recordsURL.path, reason: "truncate: " + String(cString: strerror(errno)))
            }
        } else {
            if fm.fileExists(atPath: directory.path) { try? fm.removeItem(at: directory) }
            do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                throw RunDirectoryError.io(path: directory.path, reason: error.localizedDescription)
            }
            let state = JSONValue.object([
                ("schema_version", .int(Self.schemaVersion)), ("run", .string(run)),
                ("command", .array(command.map { .string($0) })), ("fingerprint", fingerprint),
            ])
            do { try AtomicFile.write(state.prettySerialized(), to: stateURL) } catch let e as AtomicFile.WriteError {
                throw RunDirectoryError.io(path: e.path, reason: e.reason)
            }
        }
        self.command = startedWith
        self.saved = saved
        count = saved.count
        let h = open(recordsURL.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard h >= 0 else { throw RunDirectoryError.io(path: recordsURL.path, reason: String(cString: strerror(errno))) }
        // Test hook (docs/reliability.md): SIGKILL this process once this many records are
        // saved, so tests can interrupt a real run at exact points.
        killAfter = ProcessInfo.processInfo.environment["SOFTQ_TEST_KILL_AFTER_RECORDS"].flatMap(Int.init)
        fd = h
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends records (in input order, after those already saved).
    public func append(_ records: [Data]) throws {
        lock.lock()
        defer { lock.unlock() }
        var frames = BinaryRecordWriter()
        for r in records {
            frames.append(UInt32(r.count))
            frames.append(bytes: r)
            frames.append(Self.fnv1a(r))
        }
        try writeAll(frames.data)
        count += records.count
        unsynced += records.count
        if unsynced >= Self.syncEvery || Date().timeIntervalSince(lastSync) >= Self.syncInterval { try sync() }
        if let k = killAfter, count >= k, count - records.count < k { kill(getpid(), SIGKILL) }
    }

    public func sync() throws {
        lock.lock()
        defer { lock.unlock() }
        if fsync(fd) != 0 { throw RunDirectoryError.io(path: directory.path, reason: "fsync: " + String(cString: strerror(errno))) }
        unsynced = 0
        lastSync = Date()
        syncs += 1
    }

    /// Removes the progress once the run's outputs and manifest are written.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 { close(fd); fd = -1 }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Removes the progress if it holds no record (an interrupted run keeps any record for
    /// --resume); waits for an append in flight, so it may run on the signal handler's thread.
    func finishIfEmpty() {
        lock.lock()
        defer { lock.unlock() }
        if count == 0 { finish() }
    }

    private func writeAll(_ data: Data) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RunDirectoryError.io(path: directory.appendingPathComponent(Self.recordsName).path,
                                               reason: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }

    /// The whole records of a log and the byte length they span (a torn tail is not counted).
    static func readRecords(_ url: URL) throws -> ([Data], Int) {
        guard FileManager.default.fileExists(atPath: url.path) else { return ([], 0) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunDirectoryError.io(path: url.path, reason: error.localizedDescription)
        }
        var reader = BinaryRecordReader(data)
        var out: [Data] = []
        var valid = 0
        while !reader.atEnd {
            guard let n = try? reader.uint32(), let payload = try? reader.take(Int(n)), let sum = try? reader.uint64() else { break }
            let d = Data(payload)
            guard sum == fnv1a(d) else { break }
            out.append(d)
            valid = reader.offset
        }
        return (out, valid)
    }

    /// FNV-1a, 64-bit: enough to tell a torn or garbled frame from a whole one.
    static func fnv1a(_ d: Data) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in d { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// Human-readable differences between two JSON values, by dotted key path.
    public static func differences(_ a: JSONValue, _ b: JSONValue, path: String = "") -> [String] {
        if case .object(let fa) = a, case .object(let fb) = b {
            var out: [String] = []
            let keys = fa.map(\.0) + fb.map(\.0).filter { k in !fa.contains { $0.0 == k } }
            for k in keys {
                let p = path.isEmpty ? k : path + "." + k
                out += differences(a[k] ?? .null, b[k] ?? .null, path: p)
            }
            return out
        }
        return a == b ? [] : ["\(path): was \(a.serialized()), now \(b.serialized())"]
    }
}
