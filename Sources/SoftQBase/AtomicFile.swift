import Foundation

/// Writes files so that a crash never leaves a half-written result that looks whole:
/// content goes to a hidden temporary file in the same directory, is flushed, and is then
/// renamed over the destination (rename is atomic within one file system).
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
        do {
            try body(tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        try commit(tmp, to: url)
    }

    private static func commit(_ tmp: URL, to url: URL) throws {
        if rename(tmp.path, url.path) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw WriteError(path: url.path, reason: err)
        }
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
