import Foundation
import SoftQScoring

/// A libFuzzer target for the JSONL input reader: each input is one line of a pairs file, parsed
/// as a pair and as a single response (and a prompt), then the same bytes as a whole file through
/// `InputReader.readPairs` and `readResponses`.
///
/// `make fuzz` builds it with `-sanitize=fuzzer,address -DSOFTQ_FUZZ` (its `main` hands control to
/// libFuzzer's driver); an ordinary build makes a replayer (`swift run FuzzPairReader FILE...`).
enum FuzzPairReader {
    /// The file readers take a path: each input is also written to one scratch file per process
    /// (in RAM under /dev/shm when it exists).
    static let scratchPath: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return (dir as NSString).appendingPathComponent("softq-fuzz-pairs-\(getpid()).jsonl")
    }()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        // Errors (InputError) are the expected outcome for most inputs; only a crash, a hang or a
        // sanitizer report is a finding.
        // One line, decoded as the reader decodes a line: invalid UTF-8 is an error of that line
        // and never reaches the parsers.
        var line = bytes[...]
        if line.last == 0x0D { line = line.dropLast() }
        if let text = String(validating: line, as: UTF8.self) {
            _ = try? InputReader.parsePair(text, line: 1, file: "fuzz.jsonl")
            _ = try? InputReader.parseResponse(text, line: 1, file: "fuzz.jsonl")
            _ = try? InputReader.parseResponse(text, line: 1, file: "fuzz.jsonl", promptOnly: true)
        }
        // The whole input as a file: line splitting, byte-order mark, duplicate ids, skipped lines.
        guard FileManager.default.createFile(atPath: scratchPath, contents: Data(bytes)) else { return }
        _ = try? InputReader.readPairs(path: scratchPath, skipInvalid: true)
        _ = try? InputReader.readResponses(path: scratchPath, skipInvalid: true)
    }
}

#if SOFTQ_FUZZ
import CLibFuzzer

@main
struct FuzzPairReaderMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzPairReader.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        })
    }
}
#else
@main
struct FuzzPairReaderReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzPairReader.run($0) }
            print("ok \(path)")
        }
        try? FileManager.default.removeItem(atPath: FuzzPairReader.scratchPath)
    }
}
#endif
