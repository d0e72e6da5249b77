import Foundation

/// A one-line progress display on a terminal's stderr, redrawn in place at most a few times a
/// second; silent when stderr is not a terminal (piped or in CI), so logs stay clean.
///
/// `@unchecked Sendable`: workers may report progress concurrently; the mutable drawing state
/// (`lastDraw`, `drawn`) is read and written only while holding `lock`.
public final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let label: String
    private let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let lock = NSLock()

    public init(label: String, total: Int, enabled: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Seconds since the line was created.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Updates the line; `extra` is appended (e.g. "1234 tok/s").
    public func update(done: Int, extra: @autoclosure () -> String = "") {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        let pct = total > 0 ? Int(100 * Double(done) / Double(total)) : 100
        let text = "\r\(label) \(done)/\(total) (\(pct)%) \(extra())\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    /// Ends the line (moves to the next), if anything was drawn.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if enabled && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Formats a rate like "123.4/s".
    public static func rate(_ count: Int, _ seconds: Double) -> String {
        seconds > 0 ? String(format: "%.1f", Double(count) / seconds) : "-"
    }
}
