import Dispatch
import Foundation

/// The temporary files this process has in flight, so that SIGINT and SIGTERM do not leave
/// them behind, and the removal of temporaries that killed processes left (kill -9 runs no
/// handler, so the next run into the directory cleans up instead).
///
/// Temporary names are `.<name>.tmp-<pid>-<random>` (AtomicFile.temporaryURL): the pid says
/// whose file it is, and a file whose process is gone can never be committed.
public enum TemporaryFiles {
    /// Paths and cleanup actions, guarded by one lock (the signal handler runs on another thread).
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var paths: Set<String> = []
        var actions: [Int: @Sendable () -> Void] = [:]
        var nextAction = 0
        var sources: [DispatchSourceSignal] = []
    }
    private static let registry = Registry()

    public static func register(_ url: URL) {
        registry.lock.lock()
        registry.paths.insert(url.path)
        registry.lock.unlock()
    }

    public static func unregister(_ url: URL) {
        registry.lock.lock()
        registry.paths.remove(url.path)
        registry.lock.unlock()
    }

    /// Adds an action that runs on SIGINT/SIGTERM after the temporaries are removed (e.g.
    /// removing an output directory the run created and left empty). Returns a token for
    /// `removeCleanup`.
    public static func addCleanup(_ action: @escaping @Sendable () -> Void) -> Int {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.nextAction += 1
        registry.actions[registry.nextAction] = action
        return registry.nextAction
    }

    public static func removeCleanup(_ token: Int) {
        registry.lock.lock()
        registry.actions[token] = nil
        registry.lock.unlock()
    }

    /// Installs (once) handlers for SIGINT and SIGTERM that remove every registered temporary
    /// file, run the cleanup actions and exit with 128 + signal (130, 143), as shells expect.
    /// Dispatch delivers the signal on a queue thread, so the handler may take locks and
    /// touch files; the main thread may be anywhere, hence `_exit` (no atexit handlers race it).
    public static func installSignalCleanup() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard registry.sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue.global())
            source.setEventHandler { cleanUpAndExit(signal: sig) }
            source.resume()
            registry.sources.append(source)
        }
    }

    static func cleanUpAndExit(signal sig: Int32) -> Never {
        registry.lock.lock()
        let paths = registry.paths
        let actions = registry.actions.sorted { $0.key < $1.key }.map(\.value)
        registry.lock.unlock()
        for p in paths { unlink(p) }
        for a in actions { a() }
        let name = sig == SIGINT ? "interrupted" : "terminated"
        FileHandle.standardError.write(Data("\nsoftq: \(name); temporary files removed\n".utf8))
        _exit(128 + sig)
    }

    /// Test hook (docs/reliability.md): with SOFTQ_TEST_SIGNAL_BEFORE_COMMIT=15 (or 2), the
    /// process signals itself while a temporary file exists, so tests can check that the
    /// handler removes it. Waits for the handler, which exits.
    static func signalBeforeCommitIfRequested() {
        guard let s = ProcessInfo.processInfo.environment["SOFTQ_TEST_SIGNAL_BEFORE_COMMIT"].flatMap(Int32.init) else { return }
        kill(getpid(), s)
        sleep(10)
    }

    /// The pid in a temporary name `.<name>.tmp-<pid>-<random>`, or nil for other names.
    public static func owner(ofTemporaryName name: String) -> Int32? {
        guard name.hasPrefix("."), let r = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = name[r.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
        return pid
    }

    /// Whether a process with this pid exists (signal 0 probes without sending; EPERM means it
    /// exists but belongs to someone else).
    public static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Removes the temporaries of dead processes in `directory` (not recursively). Returns the
    /// names removed. Temporaries of live processes are left alone: they may still commit.
    @discardableResult
    public static func removeStale(in directory: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names.sorted() {
            guard let pid = owner(ofTemporaryName: name), !isAlive(pid) else { continue }
            if unlink(directory.appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed
    }
}
