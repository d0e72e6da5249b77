import Foundation
import XCTest

/// Runs `body` with a directory on a file system that holds only 64 KiB: a private tmpfs when
/// the test may mount one (root, as in CI containers), else this process's RLIMIT_FSIZE
/// lowered to 64 KiB for the duration (with SIGXFSZ ignored, so writes fail with EFBIG
/// instead of killing the process). Skips, saying why, only when neither is possible.
public func withFullDisk(_ body: (URL) throws -> Void) throws {
    let dir = try TestPaths.temporaryDirectory("softq-full-disk")
    defer { try? FileManager.default.removeItem(at: dir) }
    if getuid() == 0, (try? runProcess("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]))?.0 == 0 {
        defer { _ = try? runProcess("/usr/bin/env", ["umount", dir.path]) }
        try body(dir)
        return
    }
    #if os(Linux)
    let fsize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
    #else
    let fsize = RLIMIT_FSIZE
    #endif
    var old = rlimit()
    guard getrlimit(fsize, &old) == 0 else {
        throw XCTSkip("cannot mount a tmpfs (needs root) and cannot read RLIMIT_FSIZE: no way to simulate a full disk")
    }
    var small = old
    small.rlim_cur = 64 * 1024
    let oldHandler = signal(SIGXFSZ, SIG_IGN)
    guard setrlimit(fsize, &small) == 0 else {
        signal(SIGXFSZ, oldHandler)
        throw XCTSkip("cannot mount a tmpfs (needs root) and cannot lower RLIMIT_FSIZE: no way to simulate a full disk")
    }
    defer {
        setrlimit(fsize, &old)
        signal(SIGXFSZ, oldHandler)
    }
    try body(dir)
}
