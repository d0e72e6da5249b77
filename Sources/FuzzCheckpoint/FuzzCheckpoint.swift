import Foundation
import SoftQCheckpoint

/// A libFuzzer target for the checkpoint loader: each input is the bytes of an HDF5 file.
///
/// `make fuzz` builds it with `-sanitize=fuzzer,address -DSOFTQ_FUZZ` in its own scratch path
/// (its `main` hands control to libFuzzer's driver). In an ordinary build it is a replayer instead:
/// `swift run FuzzCheckpoint FILE...` runs each file exactly as the fuzzer would, so a crash
/// found by fuzzing can be reproduced and debugged without the sanitizer build.
enum FuzzCheckpoint {
    /// HDF5 reads files, not memory: each input is written to one scratch file per process
    /// (in RAM under /dev/shm when it exists).
    static let scratchPath: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return (dir as NSString).appendingPathComponent("softq-fuzz-checkpoint-\(getpid()).h5")
    }()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard FileManager.default.createFile(atPath: scratchPath, contents: Data(bytes)) else { return }
        // Errors are the expected outcome for almost every input; only a crash, a hang or a
        // sanitizer report is a finding.
        do {
            let c = try Checkpoint(path: scratchPath)
            _ = c.parameterCounts
            for name in c.tensorNames { _ = try c.loadTensor(name) }
            _ = try c.sha256()
        } catch {}
    }
}

#if SOFTQ_FUZZ
import CLibFuzzer

@main
struct FuzzCheckpointMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzCheckpoint.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        })
    }
}
#else
@main
struct FuzzCheckpointReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzCheckpoint.run($0) }
            print("ok \(path)")
        }
        try? FileManager.default.removeItem(atPath: FuzzCheckpoint.scratchPath)
    }
}
#endif
