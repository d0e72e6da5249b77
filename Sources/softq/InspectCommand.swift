import ArgumentParser
import Foundation
import SoftQCheckpoint
import SoftQBase
import SoftQModels
import SoftQScoring
import SoftQTokenizers

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a checkpoint's tree, architecture, parameter counts, training metadata and warnings.",
        discussion: "Exits with status 1 when the weights do not bind to the architecture (the error lists every missing, mis-shaped and unused tensor)."
    )

    @Argument(help: "Path to a softq HDF5 checkpoint.")
    var checkpoint: String

    @Flag(name: .long, help: "Do not list every tensor.")
    var noTree = false

    func run() throws {
        let report = try CheckpointReport.make(path: checkpoint, tree: !noTree)
        print(report.text, terminator: "")
        if report.bindingFailed { throw ExitCode(1) }
    }
}

/// The text `softq inspect` prints, built from the library's view of the file.
enum CheckpointReport {
    static func make(path: String, tree: Bool) throws -> (text: String, bindingFailed: Bool) {
        let c = try Checkpoint(path: path)
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        line("checkpoint: \(path)")
        line("  sha256: \(try c.sha256())")
        line("  format: " + (c.formatVersion.map { "softq_format \($0)" } ?? "unversioned (read as 1)"))
        var warnings = c.warnings
        var failed = false
        var vocabulary: Int?
        do {
            let model = try ModelRegistry.makeModel(modelType: c.modelType, config: c.config, weights: c)
            vocabulary = model.vocabularySize
            let k = model.configuration
            line("architecture: \(k.modelType)")
            line("  layers \(k.layerCount), hidden \(k.hiddenSize), heads \(k.headCount) (kv \(k.kvHeadCount)), head dim \(k.headDim), MLP \(k.intermediateSize)")
            line("  context \(k.contextLength), vocabulary \(k.vocabularySize), " + (k.tieWordEmbeddings ? "tied output embeddings" : "separate output embeddings"))
            if let w = k.slidingWindow { line("  sliding window \(w)") }
            line("  bos \(k.bosTokenId.map(String.init) ?? "-"), eos \(k.eosTokenIds.isEmpty ? "-" : k.eosTokenIds.map(String.init).joined(separator: ","))")
            line("  parameters \(grouped(model.parameterCount)) bound, forward ≈ \(grouped(model.flopsPerToken(attendedPositions: 0))) FLOP/token (+ attention)")
        } catch {
            failed = true
            line("architecture: \(c.modelType) — weights do not bind")
            warnings.append("\(error)")
        }
        line("stored parameters: " + c.parameterCounts.map { "\($0.0.rawValue) \(grouped($0.1))" }.joined(separator: ", "))
        var tokenizer: Tokenizer?
        if let t = c.tokenizerJSON {
            do {
                let tok = try Tokenizer(tokenizerJSON: t)
                tokenizer = tok
                line("tokenizer: embedded, vocabulary \(tok.vocabularySize), sha256 \(FileHash.sha256(data: t))")
            } catch {
                line("tokenizer: embedded but unreadable")
                warnings.append("embedded tokenizer: \(error)")
            }
        } else {
            line("tokenizer: none embedded (text inputs need --tokenizer)")
        }
        do {
            let files = try tokenizerFiles(c)
            line("tokenizer side files: " + (files.isEmpty ? "none (no tokenizer_config.json, chat template or generation_config)" : files.joined(separator: ", ")))
            let tokenizerConfig = try c.tokenizerConfig()
            let sources = SpecialTokenSources(config: c.config, generationConfig: try c.generationConfig(),
                                              tokenizerConfig: tokenizerConfig, tokenizer: tokenizer,
                                              vocabularySize: vocabulary ?? tokenizer?.vocabularySize ?? Int.max)
            let special = try sources.resolve()
            line("special tokens (text inputs):")
            for l in special.summaryLines { line("  \(l)") }
            warnings += special.warnings
            for (name, text) in try c.chatTemplates().sorted(by: { $0.key < $1.key }) {
                let label = name.isEmpty ? "default" : name
                line("chat template \(label): \(text.utf8.count) bytes, sha256 \(FileHash.sha256(data: Data(text.utf8)).prefix(16))…")
                guard let tokenizer else { continue }
                do {
                    let policy = try LoadedPolicy.templateProbe(source: text, name: label, tokenizerConfig: tokenizerConfig,
                                                                special: special, tokenizer: tokenizer)
                    line("  end of turn: " + (policy.map { "\($0) \(tokenizer.tokenText($0)?.debugDescription ?? "?")" + (special.endsEpisode($0) ? " (already in the set)" : " (joins the set under this template)") } ?? "none found"))
                } catch {
                    warnings.append("chat template \(label): \(error)")
                }
            }
        } catch {
            failed = true
            warnings.append("\(error)")
        }
        if c.training.isEmpty {
            line("training: no /training metadata")
        } else {
            line("training:")
            for (k, v) in c.training.entries { line("  \(k): \(v.stringValue ?? v.serialized())") }
        }
        if tree {
            line("tensors:")
            let width = c.tensorNames.map(\.count).max() ?? 0
            for name in c.tensorNames {
                let info = c.tensorInfos[name]!
                let pad = String(repeating: " ", count: width - name.count)
                line("  \(name)\(pad)  [\(info.shape.map(String.init).joined(separator: ", "))] \(info.dtype.rawValue)")
            }
        }
        if warnings.isEmpty { line("warnings: none") } else {
            line("warnings:")
            for w in warnings { line("  - \(w)") }
        }
        return (out, failed)
    }

    /// The optional tokenizer-side objects the file carries (docs/spec/checkpoint-format.md).
    static func tokenizerFiles(_ c: Checkpoint) throws -> [String] {
        var out: [String] = []
        if try c.tokenizerFile("tokenizer_config.json") != nil { out.append("tokenizer_config.json") }
        for name in try c.chatTemplates().keys.sorted() { out.append(name.isEmpty ? "chat_template.jinja" : "chat_template.\(name).jinja") }
        if try c.generationConfig() != nil { out.append("generation_config (root attribute)") }
        return out
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}
