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

    @Option(name: .long, help: "Sampling temperature; 0 is greedy decoding. Not the reward temperature α (--alpha of score and train).")
    var temperature: Double = 1

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass in (0, 1].")
    var topP: Double = 1

    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens per sample.")
    var maxTokens: Int = 64

    @Option(name: .long, help: "Seed of the sampling streams.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output JSONL file (written as OUT.partial, renamed when complete).")
    var out: String

    @Option(name: .long, help: "Sample only the first N prompts.")
    var limit: Int?

    @OptionGroup var tokens: TokenOptions

    @Flag(name: .long, help: "Continue an interrupted run: append to OUT.partial after its last complete line (the same inputs and options are required).")
    var resume = false

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
        let fingerprint = try ResumeFingerprint.make(
            policies: [("checkpoint", loaded)], inputs: [("prompts", prompts)],
            options: [("n", .int(n)), ("temperature", .double(temperature)), ("top_p", .double(topP)),
                      ("max_tokens", .int(maxTokens)), ("seed", .string(String(seed))), ("limit", limit.map { .int($0) } ?? .null),
                      ("special_tokens", tp.special.json), ("chat_template", tp.chat?.json ?? .null)])
        // Lines go to OUT.partial as they are sampled; --resume continues it after its last whole line.
        let output = try ResumableLines(out: out, inputs: [policy.checkpoint, policy.tokenizer, prompts],
                                        fingerprint: fingerprint, resume: resume)
        let progress = ProgressLine(label: CLI.progressLabel("sampling", resumed: output.resumed), total: records.count)
        var generated = 0
        // Sample k of prompt i draws from its own stream, so a resumed run redraws the first
        // unfinished prompt's samples and skips those already written: the lines are identical.
        for (i, r) in records.enumerated() where (i + 1) * n > output.resumed {
            let promptIDs = try tp.promptOnly(r)
            for (k, s) in try sampler.sample(prompt: promptIDs, promptIndex: i, count: n, options: options).enumerated()
            where i * n + k >= output.resumed {
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
                try output.append(JSONValue.object(f).serialized())
                generated += s.tokens.count
            }
            progress.update(done: i + 1, extra: "\(ProgressLine.rate(generated, progress.elapsed)) tok/s")
        }
        progress.finish()
        try output.finish()
        FileHandle.standardError.write(Data("wrote \(records.count * n) samples to \(out)\n".utf8))
    }
}
