import Foundation
import SoftQBase
import SoftQTemplates

/// A libFuzzer target for the chat-template parser and renderer: each input is a template's
/// source (UTF-8, invalid bytes replaced), parsed, then rendered on a fixed small conversation.
///
/// `make fuzz` builds it with `-sanitize=fuzzer,address -DSOFTQ_FUZZ` (its `main` hands control to
/// libFuzzer's driver); an ordinary build makes a replayer (`swift run FuzzChatTemplate FILE...`).
enum FuzzChatTemplate {
    /// System, user and assistant turns, one with a non-string field, so that templates reach
    /// their role branches, loops over messages and `is defined`/filter tests.
    static let messages: [JSONValue] = [
        .object([("role", .string("system")), ("content", .string("Be brief."))]),
        .object([("role", .string("user")), ("content", .string("Hi <b>there</b> 😀\n"))]),
        .object([("role", .string("assistant")), ("content", .string("Hello.")), ("tool_calls", .null)]),
        .object([("role", .string("user")), ("content", .string("2+2?"))]),
    ]
    static let specialTokens = ["bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"]
    static let date = TemplateDate(year: 2026, month: 11, day: 30, hour: 12, minute: 0, second: 0)

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let source = String(decoding: bytes, as: UTF8.self)
        // A parse or render error is the expected outcome for most inputs; only a crash, a hang
        // or a sanitizer report is a finding.
        guard let template = try? ChatTemplate(source: source, name: "fuzz") else { return }
        for generation in [false, true] {
            _ = try? template.renderWithGenerationSpans(messages: messages, addGenerationPrompt: generation,
                                                        specialTokens: specialTokens, date: date)
        }
    }
}

#if SOFTQ_FUZZ
import CLibFuzzer

@main
struct FuzzChatTemplateMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzChatTemplate.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        })
    }
}
#else
@main
struct FuzzChatTemplateReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzChatTemplate.run($0) }
            print("ok \(path)")
        }
    }
}
#endif
