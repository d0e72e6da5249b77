import Foundation
import SoftQTokenizers

/// A libFuzzer target for `tokenizer.json` loading and encoding: the input, up to its first NUL
/// byte, is a tokenizer.json; when it loads, a few fixed strings and the text after the NUL (if
/// any) are encoded and the ids decoded again.
///
/// `make fuzz` builds it with `-sanitize=fuzzer,address -DSOFTQ_FUZZ` (its `main` hands control to
/// libFuzzer's driver); an ordinary build makes a replayer (`swift run FuzzTokenizer FILE...`).
enum FuzzTokenizer {
    /// Texts that reach the pre-tokenizer's branches: spaces and newlines, digits, punctuation,
    /// contractions, non-ASCII letters, an emoji (byte fallback) and a special-token spelling.
    static let texts = [
        "", " ", "Hello, world! It's 2026.\n\n  tabs\tand  spaces ",
        "naïve café — 日本語 😀 <|im_start|>user\n<s></s>[INST]",
    ]

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let json: UnsafeRawBufferPointer.SubSequence
        var extra: String?
        if let nul = bytes.firstIndex(of: 0) {
            json = bytes[..<nul]
            extra = String(decoding: bytes[(nul + 1)...], as: UTF8.self)
        } else {
            json = bytes[...]
        }
        // A load or decode error is the expected outcome for most inputs; only a crash, a hang or
        // a sanitizer report is a finding.
        guard let tok = try? Tokenizer(tokenizerJSON: Data(json)) else { return }
        for text in texts + (extra.map { [$0] } ?? []) {
            for special in [false, true] {
                let ids = tok.encode(text, addSpecialTokens: special)
                _ = try? tok.decode(ids)
                _ = try? tok.decode(ids, skipSpecialTokens: true)
            }
        }
    }
}

#if SOFTQ_FUZZ
import CLibFuzzer

@main
struct FuzzTokenizerMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzTokenizer.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        })
    }
}
#else
@main
struct FuzzTokenizerReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzTokenizer.run($0) }
            print("ok \(path)")
        }
    }
}
#endif
