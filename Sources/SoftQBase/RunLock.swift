import Foundation

/// One writer per run directory: an exclusive `flock` on `DIR/.softq.lock`. The kernel drops
/// the lock when the process ends in any way (exit, crash, kill -9), so a stale lock cannot
/// outlive its writer; the file itself stays (removing it would race a second locker).
public final class RunLock {
    public static let fileName = ".softq.lock"

    private var fd: Int32
    public let directory: URL
    /// Whether this lock created the lock file (so a refused or failed run can remove it).
    public let createdFile: Bool

    /// Takes the lock or throws `RunDirectoryError.locked` naming the holder's pid.
    public init(directory: URL) throws {
        self.directory = directory
        let path = directory.appendingPathComponent(Self.fileName).path
        let existed = FileManager.default.fileExists(atPath: path)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunDirectoryError.io(path: path, reason: String(cString: strerror(errno))) }
        createdFile = !existed
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            var holder: Int32?
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                holder = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            close(fd)
            fd = -1
            if busy { throw RunDirectoryError.locked(directory: directory.path, pid: holder) }
            throw RunDirectoryError.io(path: path, reason: "flock: \(reason)")
        }
        // The holder's pid, for the error message of a second writer (informative only).
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
