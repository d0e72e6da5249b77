import Foundation
import XCTest

/// Helpers shared by every test target: locating the repository and its fixtures,
/// comparing float arrays with stated tolerances, and finding Python for interop checks.
public enum TestPaths {
    /// The repository root (the folder holding Package.swift), found from this file's path.
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }

    /// A fresh temporary directory, removed by the caller (or left for inspection on failure).
    public static func temporaryDirectory(_ tag: String = "softq-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(tag)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built `softq` executable in the same build folder as the test bundle, if it was built.
    public static var softqExecutable: URL? {
        var candidates: [URL] = []
        // Linux: the test runner is .build/<triple>/debug/softqPackageTests.xctest itself.
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle(for: Marker.self).bundleURL.deletingLastPathComponent())
        for dir in candidates {
            let url = dir.appendingPathComponent("softq")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
    private final class Marker {}
}

/// Asserts |a_i − b_i| ≤ atol + rtol·|b_i| elementwise and reports the worst element.
public func assertClose<A: Collection, B: Collection>(
    _ a: A, _ b: B, atol: Double, rtol: Double = 0, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    guard a.count == b.count else {
        XCTFail("\(what): count \(a.count) != \(b.count)", file: file, line: line)
        return
    }
    var worst = 0.0, worstIndex = -1, worstA = 0.0, worstB = 0.0
    var failed = false
    for (k, (x, y)) in zip(a, b).enumerated() {
        let dx = Double(x), dy = Double(y)
        let excess = abs(dx - dy) - (atol + rtol * abs(dy))
        if excess > 0 || dx.isNaN != dy.isNaN {
            failed = true
            if excess > worst || worstIndex < 0 { worst = excess; worstIndex = k; worstA = dx; worstB = dy }
        }
    }
    if failed {
        XCTFail("\(what): element \(worstIndex) is \(worstA), expected \(worstB) (atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}

/// Runs a process and returns (exit status, stdout, stderr).
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], cwd: URL? = nil,
                       environment: [String: String]? = nil, stdin: String? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let cwd { p.currentDirectoryURL = cwd }
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = inPipe
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    // @unchecked: written once on the reader thread, read only after group.wait() (which orders it).
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outBox.data, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Python with the given modules importable, or nil (tests then skip with a printed reason).
public func pythonWith(modules: [String]) -> String? {
    for candidate in ["/usr/bin/env"] {
        let check = "import " + modules.joined(separator: ", ")
        if let (status, _, _) = try? runProcess(candidate, ["python3", "-c", check]), status == 0 {
            return "python3"
        }
    }
    return nil
}
