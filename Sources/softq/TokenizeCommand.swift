import ArgumentParser
import Foundation
import SoftQBase
import SoftQCheckpoint
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

    @Flag(help: "Apply the tokenizer's post-processor (e.g. prepend BOS).")
    var addSpecialTokens = false

    func validate() throws {
        if (checkpoint == nil) == (tokenizer == nil) { throw ValidationError("give exactly one of --checkpoint or --tokenizer") }
        if (text == nil) == (input == nil) { throw ValidationError("give exactly one of --text or --input") }
    }

    func run() throws {
        let tok: Tokenizer
        if let path = tokenizer {
            tok = try Tokenizer(contentsOf: path)
        } else {
            let ckpt = try Checkpoint(path: checkpoint!)
            guard let json = ckpt.tokenizerJSON else {
                throw InputError(message: "checkpoint \(checkpoint!) has no /tokenizer/tokenizer.json; pass --tokenizer")
            }
            tok = try Tokenizer(tokenizerJSON: json)
        }
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

    private func line(_ tok: Tokenizer, _ text: String) throws -> String {
        let ids = tok.encode(text, addSpecialTokens: addSpecialTokens)
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
