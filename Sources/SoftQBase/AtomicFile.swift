import Foundation

/// Writes files so that a crash never leaves a half-written result that looks whole:
/// content goes to a hidden temporary file in the same directory, is flushed, and is then
/// renamed over the destination (rename is atomic within one file system). Temporaries are
/// registered with `TemporaryFiles`, so SIGINT/SIGTERM remove them.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// A temporary path beside `url`, for writers (like HDF5) that need a path, not bytes.
    public static func temporaryURL(for url: URL) -> URL {
        let dir = url.deletingLastPathComponent()
        let name = ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        return dir.appendingPathComponent(name)
    }

    public static func write(_ data: Data, to url: URL) throws {
        let tmp = temporaryURL(for: url)
        TemporaryFiles.register(tmp)
        defer { TemporaryFiles.unregister(tmp) }
        do {
            try data.write(to: tmp)
            try commit(tmp, to: url)
        } catch let e as WriteError {
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw WriteError(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Writes through a closure that fills a temporary path, then renames it into place.
    /// If the closure throws, the temporary file is removed and the destination is untouched.
    public static func write(to url: URL, using body: (URL) throws -> Void) throws {
        let tmp = temporaryURL(for: url)
        TemporaryFiles.register(tmp)
        defer { TemporaryFiles.unregister(tmp) }
        do {
            try body(tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        TemporaryFiles.signalBeforeCommitIfRequested()
        try commit(tmp, to: url)
    }

    /// fsync the content before the rename and the directory after it, so that after a power
    /// loss the name points either to the old file or to the whole new one.
    private static func commit(_ tmp: URL, to url: URL) throws {
        do { try sync(tmp.path) } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw WriteError(path: url.path, reason: "\(error)")
        }
        if rename(tmp.path, url.path) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw WriteError(path: url.path, reason: err)
        }
        try? sync(url.deletingLastPathComponent().path)  // some file systems refuse fsync on directories
    }

    /// fsync(2) of a file or directory by path.
    public static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw WriteError(path: path, reason: "fsync: " + String(cString: strerror(errno))) }
    }
}

/// Accumulates JSON lines in memory and writes them atomically at the end.
public struct JSONLinesWriter {
    public private(set) var text = ""
    public init() {}
    public mutating func append(_ value: JSONValue) {
        text.append(value.serialized())
        text.append("\n")
    }
    public func write(to url: URL) throws { try AtomicFile.write(text, to: url) }
}
