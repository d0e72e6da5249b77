import Foundation
import SoftQBase

/// Writes a small, seeded, hand-made run directory in the shapes of docs/spec/outputs.md, so the
/// report is tested without the scorer. Summary tables hold numbers deliberately different
/// from what pairs.jsonl would give, so a test can tell "drawn from summary.json" from
/// "recomputed".
enum SyntheticRun {
    static let subsets = ["chat", "safety & <refusals>", "reasoning"]
    /// A piece that must render as text, never as markup.
    static let hostilePiece = "<script>alert(1)</script>"

    static func d(_ x: Double) -> JSONValue { .double(x) }
    static let checkpointHash = "334640d3845295743d22b1d28d3050f5f4e0f536a5795ad1d554ed04e087e96e"

    /// SoftQEvaluation's interval object, the one CI shape softq writes.
    static func interval(_ lo: Double, _ hi: Double) -> JSONValue {
        .object([("low", d(lo)), ("high", d(hi)), ("level", d(0.95)), ("method", .string("percentile bootstrap")),
                 ("samples", .int(1000)), ("valid_samples", .int(1000)), ("seed", .int(0))])
    }

    @discardableResult
    static func write(to dir: URL, pairs n: Int = 24, seed: UInt64 = 7, analyses: Bool = true,
                      objective: String = "iqlearn") throws -> [JSONValue] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        var pairLines = JSONLinesWriter(), tokenLines = JSONLinesWriter()
        var pairs: [JSONValue] = []
        var correct = 0, ties = 0
        for k in 0..<n {
            let id = "p\(k)"
            var sides: [(String, JSONValue, [Double])] = []
            var chosenRewards: [Double] = []
            for side in ["chosen", "rejected"] {
                let m = 2 + rng.nextInt(below: 9)
                var rewards = (0..<m).map { _ in (rng.nextGaussian() * 0.8 + (side == "chosen" ? 0.15 : 0)) }
                // Pair 3 is a tie: the rejected response is the chosen one again.
                if k == 3 && side == "rejected" { rewards = chosenRewards }
                if side == "chosen" { chosenRewards = rewards }
                let lp = rewards.map { -abs($0) - 0.5 }
                let q = rewards.map { $0 + 2 }
                let vAfter = rewards.indices.map { $0 == rewards.count - 1 ? 0.0 : 2.0 }
                var pieces = rewards.indices.map { j in j == 0 ? "Hello" : " w\(j)" }
                if k == 0 && side == "chosen" { pieces[1] = hostilePiece; pieces[min(2, m - 1)] = "\n" }
                if k == 1 && side == "rejected" { pieces[0] = "a & b \"q\"" }
                let sum = rewards.reduce(0, +)
                let score: JSONValue = .object([
                    ("tokens", .int(m)), ("sum", d(sum)), ("mean", d(sum / Double(m))), ("discounted", d(sum)),
                    ("logprob_sum", d(lp.reduce(0, +))), ("logprob_mean", d(lp.reduce(0, +) / Double(m))),
                    ("logprob_norm", d(-(lp.map { $0 * $0 }.reduce(0, +)).squareRoot())), ("prompt_value", d(1.5)),
                ])
                sides.append((side, score, rewards))
                tokenLines.append(.object([
                    ("pair", .int(k)), ("id", .string(id)), ("side", .string(side)),
                    ("token_ids", .array(rewards.indices.map { .int(100 + $0) })),
                    ("pieces", .array(pieces.map { .string($0) })),
                    ("logprob", .array(lp.map(d))), ("q", .array(q.map(d))),
                    ("value_before", .array(rewards.indices.map { _ in d(2.5) })),
                    ("value_after", .array(vAfter.map(d))), ("reward", .array(rewards.map(d))),
                    ("prompt_value", d(1.5)), ("terminal", .bool(true)),
                ]))
            }
            let margin = sides[0].2.reduce(0, +) - sides[1].2.reduce(0, +)
            if margin > 0 { correct += 1 }
            if margin == 0 { ties += 1 }
            let line: JSONValue = .object([
                ("id", .string(id)), ("subset", .string(subsets[k % subsets.count])), ("score", .string("sum")),
                ("margin", d(margin)), ("correct", .bool(margin > 0)), ("tie", .bool(margin == 0)),
                ("chosen", sides[0].1), ("rejected", sides[1].1),
            ])
            pairs.append(line)
            pairLines.append(line)
        }
        try pairLines.write(to: dir.appendingPathComponent("pairs.jsonl"))
        try tokenLines.write(to: dir.appendingPathComponent("tokens.jsonl"))

        let acc = Double(correct) / Double(n)
        // The shapes SoftQEvaluation writes (PairEvaluation.json): CI objects, subsets keyed by
        // name, RewardBench sections, calibration bins with lower/upper.
        func bin(_ k: Int, _ count: Int, _ meanP: Double?, _ accuracy: Double?) -> JSONValue {
            .object([("lower", d(Double(k) / 10)), ("upper", d(Double(k + 1) / 10)), ("count", .int(count)),
                     ("mean_p", meanP.map(d) ?? .null), ("accuracy", accuracy.map(d) ?? .null)])
        }
        let summary: JSONValue = .object([
            ("schema_version", .int(1)), ("n_pairs", .int(n)), ("accuracy", d(acc)),
            ("accuracy_ci95", interval(max(0, acc - 0.125), min(1, acc + 0.125))), ("correct", .int(correct)), ("ties", .int(ties)),
            ("margin", .object([("count", .int(n)), ("mean", d(0.4375)), ("std", d(1.25)), ("min", d(-3)), ("q05", d(-2.5)),
                                ("q25", d(-0.75)), ("median", d(0.5)), ("q75", d(1.625)), ("q95", d(3.5)), ("max", d(4))])),
            ("subsets", .object([
                (subsets[0], .object([("n", .int(8)), ("accuracy", d(0.625)), ("correct", .int(5)), ("ties", .int(1))])),
                (subsets[1], .object([("n", .int(8)), ("accuracy", d(0.75)), ("correct", .int(6)), ("ties", .int(0))])),
                (subsets[2], .object([("n", .int(8)), ("accuracy", d(0.375)), ("correct", .int(3)), ("ties", .int(0))])),
            ])),
            ("rewardbench", .object([
                ("sections", .object([
                    ("chat", .object([("score", d(0.625)), ("pairs", .int(8)), ("subsets", .array([.string("alpacaeval-easy")]))])),
                    ("safety", .object([("score", d(0.75)), ("pairs", .int(8)), ("subsets", .array([.string("refusals-dangerous")]))])),
                ])),
                ("overall", .null), ("complete", .bool(false)),
                ("missing_subsets", .array([.string("math-prm")])), ("ignored_subsets", .array([])),
            ])),
            ("calibration", .object([
                ("probability", .string("sigmoid(margin)")), ("brier", d(0.231)), ("ece", d(0.0875)),
                ("bins", .array([bin(0, 9, 0.05, 0.2222222222222222), bin(1, 0, nil, nil), bin(2, 3, 0.25, 0.3333333333333333),
                                 bin(7, 3, 0.75, 0.6666666666666666), bin(9, 9, 0.95, 0.7777777777777778)])),
            ])),
            ("options", .object([("alpha", d(1)), ("gamma", d(1)), ("terminal", .string("eos")), ("append_eos", .bool(true)),
                                 ("aggregate", .string("sum")), ("bootstrap_seed", .int(0))])),
            // As `softq score` records it: the checkpoint's /training under provenance.checkpoint.
            ("provenance", .object([
                ("softq_version", .string("0.1.0")),
                ("checkpoint", .object([("path", .string("policies/\(objective).h5")), ("sha256", .string(checkpointHash)),
                                        ("model_type", .string("gpt2")),
                                        ("training", .object([("objective", .string(objective)), ("td_weight", d(objective == "mle" ? 0 : 0.5)),
                                                              ("gamma", d(0.99)), ("temperature", d(1)), ("learning_rate", d(0.001)),
                                                              ("adam_epsilon", d(1e-8))]))])),
                ("pairs", .object([("path", .string("pairs <test>.jsonl")), ("sha256", .string(String(checkpointHash.reversed())))])),
                ("time", .string("2026-11-29T12:00:00Z")),
            ])),
            ("warnings", .array([.string("2 pairs skipped (--skip-invalid): lines 4, 9")])),
        ])
        try AtomicFile.write(summary.prettySerialized(), to: dir.appendingPathComponent("summary.json"))
        guard analyses else { return pairs }

        func e(_ t: String, _ s: Double, _ w: Double) -> JSONValue {
            .object([("type", .string(t)), ("strength", d(s)), ("n", .int(n)), ("win_rate", d(w)),
                     ("win_rate_ci95", interval(w - 0.1, min(1, w + 0.1))), ("mean_reward_drop", d(w * 2))])
        }
        let robustness: JSONValue = .object([
            ("schema_version", .int(2)), ("score", .string("sum")), ("seed", .int(0)), ("n_pairs", .int(n)),
            ("perturbations", .array([e("truncate", 0.1, 0.625), e("truncate", 0.25, 0.75), e("truncate", 0.5, 0.875),
                                      e("shuffle", 0.1, 0.5), e("shuffle", 0.5, 0.6875)])),
            ("by_type", .array([
                .object([("type", .string("truncate")), ("n", .int(3 * n)), ("win_rate", d(0.75)), ("win_rate_ci95", interval(0.7, 0.8))]),
                .object([("type", .string("shuffle")), ("n", .int(2 * n)), ("win_rate", d(0.59375)), ("win_rate_ci95", interval(0.5, 0.68))]),
            ])),
        ])
        let length: JSONValue = .object([
            ("schema_version", .int(2)), ("bucket_by", .string("mean response tokens")),
            ("buckets", .array([
                .object([("label", .string("2–5")), ("lo", .int(2)), ("hi", .int(5)), ("n", .int(8)), ("accuracy", d(0.5)), ("accuracy_ci95", interval(0.25, 0.75))]),
                .object([("label", .string("5–8")), ("lo", .int(5)), ("hi", .int(8)), ("n", .int(8)), ("accuracy", d(0.625)), ("accuracy_ci95", interval(0.375, 0.875))]),
                .object([("label", .string("8–11")), ("lo", .int(8)), ("hi", .int(11)), ("n", .int(8)), ("accuracy", d(0.75)), ("accuracy_ci95", interval(0.5, 1))]),
            ])),
            ("correlation", .object([("pearson", d(0.21)), ("spearman", d(0.18))])),
        ])
        var points: [JSONValue] = []
        for k in 0..<30 {
            let r = rng.nextGaussian()
            points.append(.object([("id", .string("s\(k)")), ("reward", d(r)), ("metric", d(r > 0 ? 1 : 0))]))
        }
        let correlation: JSONValue = .object([
            ("schema_version", .int(2)), ("metric", .string("pass@1")), ("score", .string("sum")), ("points", .array(points)),
            // CorrelationRow's shape: name, scope, kind, value, ci95, n, undefined.
            ("correlations", .array([
                .object([("name", .string("pearson (pooled)")), ("scope", .string("pooled")), ("kind", .string("pearson")), ("value", d(0.8)),
                         ("ci95", interval(0.6, 0.9)), ("n", .int(30)), ("undefined", .int(0))]),
                .object([("name", .string("spearman (within prompt)")), ("scope", .string("within_prompt")), ("kind", .string("spearman")),
                         ("value", d(0.5)), ("ci95", interval(0.25, 0.7)), ("n", .int(6)), ("undefined", .int(1))]),
                .object([("name", .string("spearman (pooled)")), ("scope", .string("pooled")), ("kind", .string("spearman")),
                         ("value", d(objective == "mle" ? 0.79 : 0.7123456)), ("ci95", interval(0.58, 0.9)), ("n", .int(30)), ("undefined", .int(0))]),
            ])),
            ("best_of_n", .array([1, 2, 4, 8].flatMap { k in ["reward", "random"].map { s in
                JSONValue.object([("n", .int(k)), ("selector", .string(s)), ("metric_mean", d(s == "reward" ? 0.3 + 0.05 * Double(k) : 0.3)),
                                  ("ci95", interval(0.2, 0.8))])
            } })),
        ])
        let sensitivity: JSONValue = .object([
            ("schema_version", .int(2)), ("base", .object([("gamma", d(1))])),
            ("variants", .array([
                .object([("name", .string("base")), ("options", .object([("gamma", d(1))])), ("accuracy", d(acc)), ("accuracy_ci95", interval(0.4, 0.8)), ("agreement_with_base", d(1))]),
                .object([("name", .string("gamma=0.99")), ("options", .object([("gamma", d(0.99))])), ("accuracy", d(0.5)), ("accuracy_ci95", interval(0.3, 0.7)), ("agreement_with_base", d(0.875))]),
            ])),
        ])
        for (name, v) in [("robustness.json", robustness), ("length.json", length), ("correlation.json", correlation),
                          ("sensitivity.json", sensitivity), ("steps.json", try StepsSectionTests.stepsJSON(sha: nil))] {
            try AtomicFile.write(v.prettySerialized(), to: dir.appendingPathComponent(name))
        }
        return pairs
    }
}
