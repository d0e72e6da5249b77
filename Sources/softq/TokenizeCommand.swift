import ArgumentParser
import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQScoring
import SoftQTokenizers

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids (or pieces) of texts, one JSON line per input: {\"ids\": [...]}."
    )

    @Option(help: "A softq HDF5 checkpoint with an embedded tokenizer.json.")
    var checkpoint: String?

    @Option(help: "A tokenizer.json, or a directory with tokenizer.json or vocab.json + merges.txt.")
    var tokenizer: String?

    @Option(help: "One text to tokenize.")
    var text: String?

    @Option(help: "A JSONL file whose lines carry the text in field \"text\".")
    var input: String?

    @Flag(help: "Print the vocabulary pieces instead of ids: {\"pieces\": [...]}.")
    var pieces = false

    @Flag(help: "Add the tokenizer's special tokens as softq adds them to a prompt: the post-processor's prefix (e.g. BOS) once — not again when the text already starts with it — and its suffix.")
    var addSpecialTokens = false

    @Flag(help: "Read conversations: --input lines {\"messages\": [...]} (or - for standard input), rendered with the chat template and tokenized whole without added special tokens, as transformers' apply_chat_template(messages, tokenize=True).")
    var chat = false

    @Flag(name: .customLong("add-generation-prompt"), help: "With --chat: end the rendering with the text that opens the assistant's turn.")
    var addGenerationPrompt = false

    @Option(name: .customLong("chat-template"), help: ArgumentHelp("With --chat: a Jinja template file instead of the checkpoint's chat template.", valueName: "file"))
    var chatTemplate: String?

    @Option(name: .customLong("template-date"), help: ArgumentHelp("With --chat: the date strftime_now renders (default: SOURCE_DATE_EPOCH when set, else today, UTC).", valueName: "YYYY-MM-DD"))
    var templateDate: String?

    func validate() throws {
        if (checkpoint == nil) == (tokenizer == nil) { throw ValidationError("give exactly one of --checkpoint or --tokenizer") }
        if (text == nil) == (input == nil) { throw ValidationError("give exactly one of --text or --input") }
        if chat {
            if input == nil { throw ValidationError("--chat reads conversations from --input FILE (or - for standard input)") }
            if addSpecialTokens || pieces { throw ValidationError("--chat prints the ids of the rendered conversation; --add-special-tokens and --pieces do not apply") }
            if checkpoint == nil && chatTemplate == nil { throw ValidationError("--chat with --tokenizer needs --chat-template FILE") }
        } else if addGenerationPrompt || chatTemplate != nil || templateDate != nil {
            throw ValidationError("--add-generation-prompt, --chat-template and --template-date go with --chat")
        }
    }

    func run() throws {
        let tok: Tokenizer
        var ckpt: Checkpoint? = nil
        if let path = tokenizer {
            tok = try Tokenizer(contentsOf: path)
        } else {
            let c = try Checkpoint(path: checkpoint!)
            guard let json = c.tokenizerJSON else {
                throw InputError(message: "checkpoint \(checkpoint!) has no /tokenizer/tokenizer.json; pass --tokenizer")
            }
            tok = try Tokenizer(tokenizerJSON: json)
            ckpt = c
        }
        if chat { return try runChat(tok, checkpoint: ckpt) }
        var out = StandardOutput()
        // Lines before a bad input line are printed before the error (a failed write of
        // them cannot be reported better than the error already being thrown).
        defer { try? out.flush() }
        if let text {
            try out.write(line(tok, text))
        } else if let input {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: input)) } catch {
                throw InputError(message: "cannot read \(input): \(error.localizedDescription)")
            }
            var number = 0
            for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                number += 1
                let s = String(decoding: raw, as: UTF8.self)
                if s.allSatisfy(\.isWhitespace) { continue }
                let value: JSONValue
                do { value = try JSONParser.parse(s) } catch {
                    throw InputError(message: "\(input):\(number): \(error)")
                }
                guard let t = value["text"]?.stringValue else {
                    throw InputError(message: "\(input):\(number): field \"text\" is missing or not a string")
                }
                try out.write(line(tok, t))
            }
        }
    }

    /// `--chat`: one {"ids": [...]} line per conversation line.
    private func runChat(_ tok: Tokenizer, checkpoint ckpt: Checkpoint?) throws {
        let source: String, name: String
        if let path = chatTemplate {
            guard let d = FileManager.default.contents(atPath: path), let t = String(data: d, encoding: .utf8) else {
                throw InputError(message: "\(path): cannot read the chat template (missing, unreadable or not UTF-8)")
            }
            (source, name) = (t, path)
        } else {
            guard let t = try ckpt?.chatTemplates()[""] else {
                throw InputError(message: "\(checkpoint ?? "?"): the checkpoint has no chat template; pass --chat-template FILE")
            }
            (source, name) = (t, "checkpoint")
        }
        var tokenizerConfig: JSONValue? = try ckpt?.tokenizerConfig()
        if let path = tokenizer, ckpt == nil {
            let beside = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
            if let d = FileManager.default.contents(atPath: beside) { tokenizerConfig = try JSONParser.parse(String(decoding: d, as: UTF8.self)) }
        }
        // BOS/EOS strings for the template: the tokenizer config's, else the model's resolved ids.
        let special = try ckpt.map {
            try SpecialTokenSources(config: $0.config, generationConfig: try $0.generationConfig(), tokenizerConfig: tokenizerConfig,
                                    tokenizer: tok, vocabularySize: tok.vocabularySize).resolve()
        }
        let date = try TokenizationSettings(templateDate: templateDate).resolvedTemplateDate()
        let chatTokenizer = try ChatTokenizer(template: source, name: name, tokenizer: tok,
                                              specialTokens: LoadedPolicy.templateSpecialTokens(tokenizerConfig: tokenizerConfig, fallback: special),
                                              date: date.date)
        let path = input == "-" ? "/dev/stdin" : input!
        var out = StandardOutput()
        defer { try? out.flush() }
        for (line, messages) in try InputReader.readConversations(path: path) {
            let ids: [Int]
            do { ids = try chatTokenizer.ids(messages: messages, addGenerationPrompt: addGenerationPrompt) } catch {
                throw InputError(message: "\(input!):\(line): chat template \(name): \(error)")
            }
            try out.write(JSONValue.object([("ids", .array(ids.map { .int($0) }))]).serialized() + "\n")
        }
    }

    private func line(_ tok: Tokenizer, _ text: String) throws -> String {
        var ids = tok.encode(text, addSpecialTokens: false)
        if addSpecialTokens {
            // The prefix once (softq's BOS-once rule for prompts), then the suffix.
            if !ids.starts(with: tok.specialPrefixIDs) { ids = tok.specialPrefixIDs + ids }
            ids += tok.specialSuffixIDs
        }
        let value: JSONValue = pieces
            ? .object([("pieces", .array(try tok.pieces(ids).map { .string($0) }))])
            : .object([("ids", .array(ids.map { .int($0) }))])
        return value.serialized() + "\n"
    }
}

/// A bad input file or line, reported as "file:line: problem" without the usage text.
private struct InputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Buffered standard output: one write per 64 KiB instead of one per line.
private struct StandardOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileHandle.standardOutput.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
