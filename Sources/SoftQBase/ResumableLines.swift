import Foundation

/// A JSONL output file written line by line so an interrupted run can continue it (softq
/// sample): lines go to `FILE.partial`, fsynced at least every `RunProgress.syncEvery` lines or
/// `RunProgress.syncInterval` seconds, and the file is renamed to FILE once complete. Beside it,
/// `.FILE.resume.json` records the fingerprint of the inputs and options; `--resume` continues
/// the partial file after its last complete line when the fingerprint matches. The partial file
/// is locked (`flock`) while written, so two processes never append to it at once.
public final class ResumableLines {
    public let url: URL
    public let partialURL: URL
    let stateURL: URL
    /// Complete lines already in the partial file from an earlier attempt.
    public let resumed: Int
    public private(set) var count: Int

    private var fd: Int32
    private var unsynced = 0
    private var lastSync = Date()
    private let killAfter: Int?

    public init(out: String, option: String = "--out", inputs: [String?], fingerprint: JSONValue, resume: Bool) throws {
        guard !out.isEmpty else { throw RunDirectoryError.emptyOutPath(option: option) }
        let url = URL(fileURLWithPath: out).standardizedFileURL
        let partialURL = URL(fileURLWithPath: url.path + ".partial")
        let stateURL = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".resume.json")
        self.url = url
        self.partialURL = partialURL
        self.stateURL = stateURL
        let ids = inputs.compactMap { $0 }.compactMap(InputIdentity.init)
        for u in [url, partialURL] { try RunWriter.checkNotInput(u, inputs: ids) }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            throw RunDirectoryError.outputIsInput(output: url.path, input: "a directory")
        }
        let fm = FileManager.default
        let continuing = resume && fm.fileExists(atPath: partialURL.path)
        if resume && !continuing && fm.fileExists(atPath: url.path) {
            throw RunDirectoryError.nothingToResume(directory: url.path)
        }
        let h = open(partialURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard h >= 0 else { throw RunDirectoryError.io(path: partialURL.path, reason: String(cString: strerror(errno))) }
        if flock(h, LOCK_EX | LOCK_NB) != 0 {
            close(h)
            throw RunDirectoryError.locked(directory: partialURL.path, pid: nil)
        }
        var lines = 0
        if continuing {
            let state: JSONValue
            do { state = try JSONParser.parse(try String(contentsOf: stateURL, encoding: .utf8)) } catch {
                close(h)
                throw RunDirectoryError.corruptProgress(path: stateURL.path, reason: "\(error)")
            }
            let diffs = RunProgress.differences(state["fingerprint"] ?? .null, fingerprint)
            if !diffs.isEmpty {
                close(h)
                throw RunDirectoryError.resumeMismatch(directory: partialURL.path, differences: diffs)
            }
            // Keep whole lines only: a line cut by kill -9 is written again.
            let data = (try? Data(contentsOf: partialURL)) ?? Data()
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            lines = data[..<keep].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            if ftruncate(h, off_t(keep)) != 0 {
                close(h)
                throw RunDirectoryError.io(path: partialURL.path, reason: "truncate: " + String(cString: strerror(errno)))
            }
        } else {
            _ = ftruncate(h, 0)
            let state = JSONValue.object([("fingerprint", fingerprint)])
            do { try AtomicFile.write(state.prettySerialized(), to: stateURL) } catch let e as AtomicFile.WriteError {
                close(h)
                throw RunDirectoryError.io(path: e.path, reason: e.reason)
            }
        }
        lseek(h, 0, SEEK_END)
        fd = h
        resumed = lines
        count = lines
        killAfter = ProcessInfo.processInfo.environment["SOFTQ_TEST_KILL_AFTER_RECORDS"].flatMap(Int.init)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends one line (a newline is added).
    public func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RunDirectoryError.io(path: partialURL.path, reason: String(cString: strerror(errno)))
            }
            off += n
        }
        count += 1
        unsynced += 1
        if unsynced >= RunProgress.syncEvery || Date().timeIntervalSince(lastSync) >= RunProgress.syncInterval {
            try sync()
        }
        if let k = killAfter, count == k { kill(getpid(), SIGKILL) }
    }

    func sync() throws {
        if fsync(fd) != 0 { throw RunDirectoryError.io(path: partialURL.path, reason: "fsync: " + String(cString: strerror(errno))) }
        unsynced = 0
        lastSync = Date()
    }

    /// Makes the file whole: fsync, rename FILE.partial to FILE, drop the resume record.
    public func finish() throws {
        try sync()
        if rename(partialURL.path, url.path) != 0 {
            throw RunDirectoryError.io(path: url.path, reason: String(cString: strerror(errno)))
        }
        try? AtomicFile.sync(url.deletingLastPathComponent().path)
        close(fd)
        fd = -1
        unlink(stateURL.path)
    }
}
