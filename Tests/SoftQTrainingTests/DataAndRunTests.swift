import XCTest
import SoftQBase
import SoftQRewards
import SoftQCheckpoint
import SoftQScoring
import SoftQTokenizers
import TestSupport
@testable import SoftQTraining

final class DataAndRunTests: XCTestCase {
    /// The demo tokenizer (BOS 0 added by its post-processor, EOS 1 from the config) as training
    /// and scoring both see it.
    static func demoPolicy(appendEOS: Bool = true, vocabularySize: Int = 512, context: Int = 40) throws -> TokenizationPolicy {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "demo_tokenizer", withExtension: "json", subdirectory: "Fixtures"))
        let tok = try Tokenizer(tokenizerJSON: try Data(contentsOf: url))
        let special = try SpecialTokenSources(config: .object([("bos_token_id", .int(0)), ("eos_token_id", .int(1))]), tokenizer: tok,
                                              vocabularySize: vocabularySize).resolve()
        return TokenizationPolicy(tokenizer: tok, appendEOS: appendEOS, special: special, vocabularySize: vocabularySize,
                                  contextLength: context, inputPath: "d.jsonl")
    }

    static func load(_ text: String, policy: TokenizationPolicy? = nil) throws -> [TrainingExample] {
        let url = try TestPaths.temporaryDirectory("softq-data").appendingPathComponent("d.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try text.write(to: url, atomically: true, encoding: .utf8)
        var tp = try policy ?? Self.demoPolicy()
        tp.inputPath = "d.jsonl"
        return try TrainingData.load(path: url.path, tokenization: tp)
    }

    func testTokenIDsAreVerbatimAndTextGetsBOSAndEOS() throws {
        let text = """
        {"prompt_ids": [0, 4], "response_ids": [5, 6]}

        {"prompt_ids": [0, 4], "response_ids": [5, 1]}
        {"prompt": "1+1=", "response": "2"}
        """
        let ex = try Self.load(text)
        XCTAssertEqual(ex.count, 3)
        XCTAssertEqual(ex[0], TrainingExample(prompt: [0, 4], response: [5, 6], endsWithEOS: false))
        XCTAssertEqual(ex[1], TrainingExample(prompt: [0, 4], response: [5, 1], endsWithEOS: true))
        XCTAssertEqual(ex[2].prompt.first, 0)
        XCTAssertEqual(ex[2].response.last, 1)
        XCTAssertTrue(ex[2].endsWithEOS)
    }

    func testDataErrorsNameFileLineAndField() throws {
        func message(_ text: String, policy: TokenizationPolicy? = nil) -> String {
            do { _ = try Self.load(text, policy: policy); return "no error" } catch { return "\(error)".replacingOccurrences(of: #"^.*/d\.jsonl"#, with: "d.jsonl", options: .regularExpression) }
        }
        XCTAssertEqual(message("{\"prompt_ids\": [0], \"response_ids\": [2]}\n{\"prompt_ids\": [0], \"response_ids\": \"x\"}"),
                       "d.jsonl:2: field 'response_ids': expected an array of token ids, found string")
        var noTokenizer = try Self.demoPolicy()
        noTokenizer.tokenizer = nil
        XCTAssertEqual(message("{\"prompt\": \"a\", \"response\": \"b\"}", policy: noTokenizer),
                       "d.jsonl:1: field 'prompt': text input needs a tokenizer: the checkpoint embeds none; pass --tokenizer FILE or give prompt_ids/chosen_ids/rejected_ids")
        XCTAssertEqual(message("{\"prompt_ids\": [0], \"response_ids\": [512]}"),
                       "d.jsonl:1: field 'response_ids': token id 512 is out of the model's vocabulary (0..<512)")
        XCTAssert(message("{\"prompt_ids\": [0,2,2,2,2], \"response_ids\": [2,2,2,2]}", policy: try Self.demoPolicy(context: 8))
                    .hasPrefix("d.jsonl:1: field 'response_ids': prompt (5 tokens) + response (4 tokens) = 9 tokens exceeds the model's context of 8"))
        XCTAssert(message("{\"prompt_ids\": [], \"response_ids\": [2]}").hasPrefix("d.jsonl:1: field 'prompt_ids': empty"))
        XCTAssert(message("[1]").contains("d.jsonl:1: expected a JSON object"))
        XCTAssert(message("{\"prompt_ids\": [0], ").hasPrefix("d.jsonl:1: invalid JSON at column"))
        XCTAssertEqual(message("\n\n"), "d.jsonl: no training examples (every example needs at least one response token)")
    }

    func options() -> TrainingOptions {
        var o = TrainingOptions()
        o.objective = .iqlearn
        o.tdWeight = 0.3
        o.rewards = RewardOptions(alpha: 2, gamma: 0.95, terminal: .eos)
        o.steps = 9
        o.batchSize = 3
        o.learningRate = 5e-3
        o.warmupSteps = 2
        o.seed = 4
        return o
    }

    func makeRun(_ dir: URL, resume: Bool = false, stopAfter: Int? = nil, options o: TrainingOptions? = nil) throws -> TrainingRun {
        let config = try tinyConfig()
        return try TrainingRun(config: config, configText: config.json.serialized(), initialWeights: nil,
                               examples: reversalExamples(count: 10, seed: 3), options: o ?? options(),
                               settings: TrainingRunSettings(outputDirectory: dir, checkpointEvery: 3, resume: resume,
                                                             data: "reversal", dataSHA256: "abc", tokenizerJSON: "{}",
                                                             stopAfter: stopAfter))
    }

    /// An interrupted run resumed from its last checkpoint ends with the same weights, bit for
    /// bit, as an uninterrupted one; the checkpoints record the training metadata.
    func testResumeAfterInterruptionReachesSameWeights() throws {
        let root = try TestPaths.temporaryDirectory("softq-train")
        defer { try? FileManager.default.removeItem(at: root) }
        let full = root.appendingPathComponent("full"), cut = root.appendingPathComponent("cut")
        let reportsFull = try makeRun(full).run()
        XCTAssertEqual(reportsFull.count, 9)

        // "Interrupted" after step 5: the newest checkpoint is step 3, steps 4–5 are lost.
        XCTAssertEqual(try makeRun(cut, stopAfter: 5).run().count, 5)
        XCTAssertEqual(TrainingRun.checkpointSteps(in: cut.appendingPathComponent("checkpoints")), [3])
        XCTAssertFalse(FileManager.default.fileExists(atPath: cut.appendingPathComponent("model.h5").path))
        XCTAssertThrowsError(try makeRun(cut)) { XCTAssert("\($0)".contains("pass --resume"), "\($0)") }
        var changed = options()
        changed.learningRate = 1e-3
        XCTAssertThrowsError(try makeRun(cut, resume: true, options: changed)) {
            XCTAssert("\($0)".contains("'learning_rate' was 0.005"), "\($0)")
        }
        let resumed = try makeRun(cut, resume: true)
        XCTAssertEqual(resumed.resumedFrom, 3)
        let rest = try resumed.run()
        XCTAssertEqual(rest.map(\.step), Array(4...9))
        XCTAssertEqual(rest.map(\.loss), Array(reportsFull.map(\.loss)[3...]))

        let a = try Checkpoint(path: full.appendingPathComponent("model.h5").path)
        let b = try Checkpoint(path: cut.appendingPathComponent("model.h5").path)
        XCTAssertEqual(a.tensorNames, b.tensorNames)
        for name in a.tensorNames { XCTAssertEqual(try a.loadTensor(name).array, try b.loadTensor(name).array, name) }
        XCTAssertFalse(a.file.contains("optimizer"), "the final model carries no optimizer state")

        let t = a.training
        XCTAssertEqual(t.objective, "iqlearn")
        XCTAssertEqual(t.tdWeight, 0.3)
        XCTAssertEqual(t.gamma, 0.95)
        XCTAssertEqual(t.temperature, 2)
        XCTAssertEqual(t["steps"]?.intValue, 9)
        XCTAssertEqual(t["seed"]?.intValue, 4)
        XCTAssertEqual(t["data_sha256"]?.stringValue, "abc")
        XCTAssertEqual(a.modelType, "gpt2")
        XCTAssertEqual(String(decoding: a.tokenizerJSON ?? Data(), as: UTF8.self), "{}")
        let log = try String(contentsOf: cut.appendingPathComponent("train_log.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.compactMap { try? JSONParser.parse(String($0))["step"]?.intValue }, Array(1...9))

        // A checkpoint written by a run loads back into a model with the same weights.
        let model = GPT2TrainingModel<Float>(config: try tinyConfig())
        try model.layout.load(from: a, into: model.params)
        XCTAssertEqual(model.params.count, model.layout.count)
    }
}

final class TrainingJobTests: XCTestCase {
    /// From scratch with --config, then fine-tuned with --init: the child records its parent and
    /// its hash, starts from the parent's weights and carries the parent's tokenizer on.
    func testFineTuneRecordsParentAndStartsFromItsWeights() throws {
        let dir = try TestPaths.temporaryDirectory("softq-train-job")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The demo tokenizer has 512 ids (BOS 0, EOS 1).
        let config = try GPT2TrainingConfig(vocabSize: 512, nPositions: 40, nEmbd: 16, nLayer: 1, nHead: 2, bosTokenID: 0, eosTokenID: 1)
        let configPath = dir.appendingPathComponent("config.json").path
        try config.json.prettySerialized().write(toFile: configPath, atomically: true, encoding: .utf8)
        let tokenizerPath = try XCTUnwrap(Bundle.module.url(forResource: "demo_tokenizer", withExtension: "json", subdirectory: "Fixtures")).path
        let dataPath = dir.appendingPathComponent("d.jsonl").path
        let lines = reversalExamples(count: 6, seed: 4).map {
            JSONValue.object([("prompt_ids", .array($0.prompt.map { .int($0) })), ("response_ids", .array($0.response.map { .int($0) }))]).serialized()
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dataPath, atomically: true, encoding: .utf8)
        var o = TrainingOptions()
        o.steps = 3
        o.batchSize = 2
        o.warmupSteps = 0
        let parentRun = try TrainingJob(configPath: configPath, initCheckpoint: nil, dataPath: dataPath, tokenizerPath: tokenizerPath,
                                        options: o, outputDirectory: dir.appendingPathComponent("a").path, checkpointEvery: 0, resume: false).prepare()
        try parentRun.run()
        let parentPath = dir.appendingPathComponent("a/model.h5").path

        let child = try TrainingJob(configPath: nil, initCheckpoint: parentPath, dataPath: dataPath, tokenizerPath: nil,
                                    options: o, outputDirectory: dir.appendingPathComponent("b").path, checkpointEvery: 0, resume: false).prepare()
        XCTAssertEqual(child.trainer.model.params.array, parentRun.trainer.model.params.array, "fine-tuning starts from the parent")
        try child.run()
        let c = try Checkpoint(path: dir.appendingPathComponent("b/model.h5").path)
        XCTAssertEqual(c.training["parent"]?.stringValue, parentPath)
        XCTAssertEqual(c.training["parent_sha256"]?.stringValue, try FileHash.sha256(path: parentPath))
        XCTAssertEqual(c.training["data_sha256"]?.stringValue, try FileHash.sha256(path: dataPath))
        XCTAssertEqual(c.tokenizerJSON, FileManager.default.contents(atPath: tokenizerPath))

        XCTAssertThrowsError(try TrainingJob(configPath: configPath, initCheckpoint: parentPath, dataPath: dataPath, tokenizerPath: nil,
                                             options: o, outputDirectory: dir.path, checkpointEvery: 0, resume: false).prepare()) {
            XCTAssert("\($0)".contains("give exactly one"), "\($0)")
        }
    }
}

final class TokenizedDataTests: XCTestCase {
    /// Text demonstrations are tokenized as scoring does (prompt with BOS once, response + EOS);
    /// the ids are those of Hugging Face `tokenizers` on the same tokenizer.json.
    func testTextDataMatchesHuggingFaceTokenization() throws {
        let line = JSONValue.object([("prompt", .string("Question: 3 + 4?\nSolution:")), ("response", .string("\n3 + 4 = 7.\nAnswer: 7"))]).serialized()
        let ex = try DataAndRunTests.load(line)
        // python: Tokenizer.from_file(...).encode(prompt, add_special_tokens=True).ids, response without
        XCTAssertEqual(ex[0].prompt, [0, 314, 27, 278, 289, 301, 32, 200, 315, 27])
        XCTAssertEqual(ex[0].response, [200, 20, 289, 301, 264, 330, 15, 200, 313, 27, 330, 1])
        XCTAssertEqual(try DataAndRunTests.load(line, policy: try DataAndRunTests.demoPolicy(appendEOS: false))[0].response.last, 330)
    }

    /// The project's central invariant: `softq train` trains on exactly the ids `softq extract`
    /// scores, for every line shape — including text that spells out the special tokens (once
    /// trained on `[19, 1, 1]` against scored `[19, 1]`).
    func testTrainingAndScoringTokenizeAlike() throws {
        let dir = try TestPaths.temporaryDirectory("softq-train-scoring")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try GPT2TrainingConfig(vocabSize: 512, nPositions: 40, nEmbd: 16, nLayer: 1, nHead: 2, bosTokenID: 0, eosTokenID: 1)
        let configPath = dir.appendingPathComponent("config.json").path
        try config.json.prettySerialized().write(toFile: configPath, atomically: true, encoding: .utf8)
        let tokenizerPath = try XCTUnwrap(Bundle.module.url(forResource: "demo_tokenizer", withExtension: "json", subdirectory: "Fixtures")).path
        let dataPath = dir.appendingPathComponent("d.jsonl").path
        let lines = [
            #"{"prompt":"<|bos|>1+1=","response":"2<|eos|>"}"#,
            #"{"prompt":"1+1=","response":"2"}"#,
            #"{"prompt":"  spaced <|bos|> ","response":" 2 <|eos|> x"}"#,
            #"{"prompt_ids":[0,19],"response_ids":[20,1]}"#,
        ]
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: dataPath, atomically: true, encoding: .utf8)
        var o = TrainingOptions()
        o.steps = 1
        o.batchSize = 1
        o.warmupSteps = 0
        let run = try TrainingJob(configPath: configPath, initCheckpoint: nil, dataPath: dataPath, tokenizerPath: tokenizerPath,
                                  options: o, outputDirectory: dir.appendingPathComponent("out").path, checkpointEvery: 0, resume: false).prepare()
        try run.run()
        XCTAssertEqual(run.trainer.examples[0].prompt.filter { $0 == 0 }.count, 1, "BOS once")
        XCTAssertEqual(run.trainer.examples[0].response.suffix(2).filter { $0 == 1 }.count, 1, "EOS once")
        // Score the trained policy's own file as `softq extract` does.
        let policy = try LoadedPolicy(path: dir.appendingPathComponent("out/model.h5").path)
        let tp = try policy.tokenizationPolicy(appendEOS: true, inputPath: dataPath)
        let (records, _) = try InputReader.readResponses(path: dataPath, skipInvalid: false)
        XCTAssertEqual(records.count, lines.count)
        for (k, r) in records.enumerated() {
            let scored = try tp.prepare(r)
            XCTAssertEqual(scored.prompt, run.trainer.examples[k].prompt, "line \(k + 1)")
            XCTAssertEqual(scored.response.ids, run.trainer.examples[k].response, "line \(k + 1)")
            XCTAssertEqual(scored.response.endsWithEOS, run.trainer.examples[k].endsWithEOS, "line \(k + 1)")
        }
    }

    func testTokenizerLargerThanTheModelIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory("softq-train-vocab")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try GPT2TrainingConfig(vocabSize: 100, nPositions: 40, nEmbd: 16, nLayer: 1, nHead: 2, bosTokenID: 0, eosTokenID: 1)
        let configPath = dir.appendingPathComponent("config.json").path
        try config.json.prettySerialized().write(toFile: configPath, atomically: true, encoding: .utf8)
        let tokenizerPath = try XCTUnwrap(Bundle.module.url(forResource: "demo_tokenizer", withExtension: "json", subdirectory: "Fixtures")).path
        let dataPath = dir.appendingPathComponent("d.jsonl").path
        try #"{"prompt":"1","response":"2"}"#.write(toFile: dataPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingJob(configPath: configPath, initCheckpoint: nil, dataPath: dataPath, tokenizerPath: tokenizerPath,
                                             options: TrainingOptions(), outputDirectory: dir.appendingPathComponent("o").path,
                                             checkpointEvery: 0, resume: false).prepare()) {
            XCTAssert("\($0)".contains("has 512 ids, the model's vocab_size is 100"), "\($0)")
        }
        let badTokenizer = dir.appendingPathComponent("t.json").path
        try "{\"model\": 3".write(toFile: badTokenizer, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingJob(configPath: configPath, initCheckpoint: nil, dataPath: dataPath, tokenizerPath: badTokenizer,
                                             options: TrainingOptions(), outputDirectory: dir.appendingPathComponent("o").path,
                                             checkpointEvery: 0, resume: false).prepare()) {
            XCTAssert("\($0)".hasPrefix("option --tokenizer: \(badTokenizer): "), "\($0)")
        }
    }
}
