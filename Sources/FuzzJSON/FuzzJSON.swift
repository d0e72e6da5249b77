import Foundation
import SoftQBase

/// A libFuzzer target for SoftQBase's JSON parser (checkpoint configs, pairs files, summaries):
/// each input is a byte string parsed as UTF-8 text, then re-serialized and parsed again,
/// which must give the same value.
///
/// `make fuzz` builds it with `-sanitize=fuzzer,address -DSOFTQ_FUZZ` (its `main` hands control to
/// libFuzzer's driver); an ordinary build makes
/// a replayer (`swift run FuzzJSON FILE...`).
enum FuzzJSON {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        // A parse error is the expected outcome for most inputs; a crash, a hang or a value that
        // does not survive its own serialization is a finding.
        guard let value = try? JSONParser.parse(text) else { return }
        let again = value.serialized()
        guard let back = try? JSONParser.parse(again) else {
            fatalError("FuzzJSON: the serialization of a parsed value does not parse: \(again.prefix(200))")
        }
        if back.serialized() != again {
            fatalError("FuzzJSON: serialize∘parse is not stable: \(again.prefix(200))")
        }
    }
}

#if SOFTQ_FUZZ
import CLibFuzzer

@main
struct FuzzJSONMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzJSON.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        })
    }
}
#else
@main
struct FuzzJSONReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzJSON.run($0) }
            print("ok \(path)")
        }
    }
}
#endif
