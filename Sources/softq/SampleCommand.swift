import ArgumentParser
import Foundation
import SoftQBase
import SoftQSampling
import SoftQScoring

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample continuations of prompts from a policy with its key/value cache.",
        discussion: """
        Reads JSONL prompts (`prompt` text or `prompt_ids`, optional `id`) and writes one line per \
        sample: prompt_id, sample, text, prompt_ids, token_ids, tokens, logprob, finish_reason. \
        `logprob` is Σ log π of the new tokens under the model itself (not the sampling \
        temperature), the same number `softq score` reports as logprob_sum for those ids. \
        Sample k of prompt i uses its own seeded stream, so output does not depend on order.
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, help: "JSONL file of prompts (`prompt` or `prompt_ids`; optional `id`).")
    var prompts: String

    @Option(name: .long, help: "Samples per prompt.")
    var n: Int = 1

    @Option(name: .long, help: "Sampling temperature; 0 is greedy decoding.")
    var temperature: Double = 1

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass in (0, 1].")
    var topP: Double = 1

    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens per sample.")
    var maxTokens: Int = 64

    @Option(name: .long, help: "Seed of the sampling streams.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output JSONL file (written atomically).")
    var out: String

    @Option(name: .long, help: "Sample only the first N prompts.")
    var limit: Int?

    @OptionGroup var tokens: TokenOptions

    func validate() throws {
        if n < 1 { throw ValidationError("--n must be at least 1") }
        try SamplingOptions(temperature: temperature, topP: topP, maxTokens: maxTokens, seed: seed).validate()
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: false)
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        var (records, _) = try InputReader.readResponses(path: prompts, skipInvalid: false, promptsOnly: true)
        if let limit { records = Array(records.prefix(limit)) }
        let tp = try loaded.tokenization(tokens.settings(appendEOS: false), inputPath: prompts,
                                         conversational: records.contains { $0.isConversational })
        for w in tp.special.warnings { CLI.logger.warning("\(w)") }
        let sampler = Sampler(model: loaded.model, stopIDs: Set(tp.special.eosIDs))
        let options = SamplingOptions(temperature: temperature, topP: topP, maxTokens: maxTokens, seed: seed)
        var w = JSONLinesWriter()
        let progress = ProgressLine(label: "sampling", total: records.count)
        var generated = 0
        for (i, r) in records.enumerated() {
            let promptIDs = try tp.promptOnly(r)
            for (k, s) in try sampler.sample(prompt: promptIDs, promptIndex: i, count: n, options: options).enumerated() {
                let textIDs = s.finishReason == "eos" ? Array(s.tokens.dropLast()) : s.tokens
                let text = try loaded.tokenizer.map { try $0.decode(textIDs, skipSpecialTokens: false) }
                var f: [(String, JSONValue)] = [("prompt_id", .string(r.id)), ("sample", .int(k))]
                if let text { f.append(("text", .string(text))) }
                f += [
                    ("prompt_ids", .array(promptIDs.map { .int($0) })),
                    ("token_ids", .array(s.tokens.map { .int($0) })),
                    ("tokens", .int(s.tokens.count)),
                    ("logprob", .double(s.logprob)),
                    ("finish_reason", .string(s.finishReason)),
                ]
                w.append(.object(f))
                generated += s.tokens.count
            }
            progress.update(done: i + 1, extra: "\(ProgressLine.rate(generated, progress.elapsed)) tok/s")
        }
        progress.finish()
        try w.write(to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(Data("wrote \(records.count * n) samples to \(out)\n".utf8))
    }
}
