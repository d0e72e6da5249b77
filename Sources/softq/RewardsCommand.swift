import ArgumentParser
import Foundation
import SoftQBase
import SoftQEvaluation
import SoftQScoring

struct RewardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards",
        abstract: "Print the per-token soft-Q table of one response: piece, log π, Q, V before, V after, r.",
        discussion: "With --out DIR, also writes the run files of `softq extract` (responses.jsonl, tokens.jsonl, summary.json) so `softq report DIR` can show it."
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, help: "The prompt text.")
    var prompt: String

    @Option(name: .long, help: "The response text.")
    var response: String

    @OptionGroup var conventions: ConventionOptions

    @Option(name: .long, help: "Also write extract-style run files into this directory.")
    var out: String?

    @OptionGroup var runMode: ForceOption

    func run() throws {
        CLI.bootstrapLogging(verbose: false)
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let record = ResponseRecord(line: 1, id: "quick-look", content: .text(prompt: prompt, response: response))
        let tp = try loaded.tokenization(conventions.tokenization, inputPath: "--prompt/--response",
                                         conversational: false)
        let prepared = try tp.prepare(record)
        let options = ScoringOptions(rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()))
        let scored = try PairScorer(model: loaded.model, options: options).scoreSingles([prepared])[0]
        let s = scored.response.scores
        let pieces = scored.response.ids.map { id in loaded.tokenizer.map { (try? $0.tokenDisplay(id)) ?? "�" } ?? "#\(id)" }
        let shown = pieces.map { $0.debugDescription }
        let w = max(5, shown.map { $0.count }.max() ?? 0)
        func f(_ x: Double) -> String {
            let s = String(format: "%.4f", x)
            return String(repeating: " ", count: max(0, 10 - s.count)) + s
        }
        print("α = \(options.rewards.alpha), γ = \(options.rewards.gamma), terminal = \(options.rewards.terminal.rawValue); prompt \(prepared.prompt.count) tokens, V(prompt) = \(String(format: "%.4f", s.promptValue))")
        print("piece".padding(toLength: w, withPad: " ", startingAt: 0) + "        id     log π          Q   V before    V after          r")
        for k in 0..<s.tokens {
            let id = String(scored.response.ids[k])
            print(shown[k].padding(toLength: w, withPad: " ", startingAt: 0) + String(repeating: " ", count: max(1, 10 - id.count)) + id
                  + f(s.logprob[k]) + " " + f(s.q[k]) + " " + f(s.valueBefore[k]) + " " + f(s.valueAfter[k]) + " " + f(s.reward[k]))
        }
        let a = s.aggregates
        print("terminal: \(s.terminal)")
        print("sum \(String(format: "%.4f", a.sum))  mean \(String(format: "%.4f", a.mean))  discounted \(String(format: "%.4f", a.discounted))  logprob_sum \(String(format: "%.4f", a.logprobSum))  logprob_mean \(String(format: "%.4f", a.logprobMean))  logprob_norm \(String(format: "%.4f", a.logprobNorm))")
        if let out {
            let writer = try CLI.openRun(out: out, run: "rewards", inputs: [policy.checkpoint, policy.tokenizer], mode: runMode.mode)
            defer { writer.close() }
            try writer.perform { writer in
                let provenance = try Provenance.make(command: CommandLine.arguments, checkpoint: try loaded.provenance(), reference: nil, inputs: [])
                let record = RunRecord(options: options, tokenization: tp, hasReference: false, perToken: .jsonl, csv: false,
                                       bootstrap: BootstrapOptions(samples: 0, seed: 0), provenance: provenance,
                                       warnings: loaded.checkpoint.warnings, skipped: [])
                try ExtractRunWriter.write([scored], record: record, tokenizer: loaded.tokenizer, to: writer.directory)
                try writer.commit(options: record.optionsJSON, provenance: provenance)
            }
        }
    }
}
