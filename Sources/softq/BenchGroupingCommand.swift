import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQScoring

struct BenchGroupingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-grouping",
        abstract: "Time one prompt computation per prompt: the same responses scored with each running its own prompt, and sharing it.",
        discussion: """
        Best-of-N: takes the first --per-prompt generations of every prompt_id in the --generations \
        files (in file order; prompts with fewer are left out), so each prompt has N responses. \
        Pairs (--pairs): chosen and rejected scored as two responses with their own prompt passes, \
        against softq score's path. Each workload alternates the two paths --repeats times in this \
        process after one warm-up pass of each, prints the median of the per-repeat time ratios \
        (separate / shared) and checks that both paths give the same bits (docs/performance.md).
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, parsing: .singleValue, help: "A generations JSONL (prompt_id plus prompt_ids/token_ids or prompt/text, and the metric); repeat to pool files.")
    var generations: [String] = []

    @Option(name: .customLong("per-prompt"), help: "Responses per prompt N of the best-of-N workload.")
    var perPrompt: Int = 8

    @Option(name: .customLong("metric-field"), help: "The field holding the task metric (read, not used).")
    var metricField: String = "metric"

    @Option(name: .long, help: "JSONL file of preference pairs for the pairs workload.")
    var pairs: String?

    @Option(name: .long, help: "Use at most this many prompts (best-of-N) and pairs.")
    var limit: Int?

    @Option(name: .long, help: "Timed rounds (one pass of each path per round).")
    var repeats: Int = 5

    @Flag(name: .long, help: "Print the measurements as JSON lines instead of a table.")
    var json = false

    @OptionGroup var conventions: ConventionOptions

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if generations.isEmpty && pairs == nil { throw ValidationError("give --generations FILE and/or --pairs FILE") }
        if perPrompt < 1 { throw ValidationError("--per-prompt must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let scoring = ScoringOptions(rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()), threads: runOptions.threads)
        var results: [PromptGroupingBench.Result] = []
        if !generations.isEmpty {
            let tp = try loaded.tokenization(conventions.tokenization, inputPath: generations[0], conversational: false)
            var order: [String] = [], byPrompt: [String: [PreparedSingle]] = [:]
            for path in generations {
                for g in try GenerationAnalyses.read(path: path, promptsPath: nil, metricField: metricField) {
                    let content: ResponseRecord.Content = g.promptIDs.flatMap { p in g.tokenIDs.map { .ids(prompt: p, response: $0) } }
                        ?? .text(prompt: g.prompt, response: g.text)
                    if byPrompt[g.promptID] == nil { order.append(g.promptID) }
                    if byPrompt[g.promptID, default: []].count < perPrompt {
                        byPrompt[g.promptID, default: []].append(try tp.prepare(ResponseRecord(line: g.line, id: g.id, content: content)))
                    }
                }
            }
            let full = order.filter { byPrompt[$0]?.count == perPrompt }.prefix(limit ?? Int.max)
            guard !full.isEmpty else { throw ValidationError("no prompt_id has \(perPrompt) generations in \(generations.joined(separator: ", "))") }
            results.append(try PromptGroupingBench.singles(full.flatMap { byPrompt[$0]! }, scoring: scoring, model: loaded.model,
                                                           repeats: repeats, workload: "best-of-\(perPrompt)"))
        }
        if let pairs {
            let (_, prepared, _) = try CLI.preparePairs(pairs, policy: loaded, conventions: conventions, skipInvalid: false, limit: limit,
                                                        what: "pairs to benchmark")
            results.append(try PromptGroupingBench.pairs(prepared, scoring: scoring, model: loaded.model, repeats: repeats, workload: "pairs"))
        }
        if json {
            for r in results { print(r.json.serialized()) }
            return
        }
        func f(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }
        print("workload      responses  prompts  tokens separate → shared  seconds separate  shared  speed-up (median; per round)  same bits")
        for r in results {
            print("\(r.workload.padding(toLength: 12, withPad: " ", startingAt: 0))  \(String(r.responses).leftPad(9))  \(String(r.prompts).leftPad(7))  "
                + "\(String(r.separateTokens).leftPad(8)) → \(String(r.sharedTokens).leftPad(6))  \(f(r.separateMedianSeconds).leftPad(16))  "
                + "\(f(r.sharedMedianSeconds).leftPad(6))  \(f(r.medianRatio, 2))× (\(r.ratios.map { f($0, 2) }.joined(separator: ", ")))  \(r.identical)")
        }
        if results.contains(where: { !$0.identical }) { throw ExitCode(1) }
    }
}

extension String {
    fileprivate func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
