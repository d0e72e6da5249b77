import XCTest
import SoftQBase
import SoftQRewards
import SoftQCheckpoint
import TestSupport
@testable import SoftQTraining

final class DataAndRunTests: XCTestCase {
    func loader(encode: TrainingDataLoader.Encode? = nil) -> TrainingDataLoader {
        TrainingDataLoader(encode: encode, eosTokenID: 1, vocabSize: 12, maxLength: 8)
    }

    func testTokenIDsAreVerbatimAndTextGetsBOSAndEOS() throws {
        // A stand-in tokenizer: one id per character 'a'…, BOS 0 when special tokens are asked for.
        let encode: TrainingDataLoader.Encode = { text, special in
            (special ? [0] : []) + text.unicodeScalars.map { Int($0.value) - 97 + 2 }
        }
        let text = """
        {"prompt_ids": [0, 4], "response_ids": [5, 6]}

        {"prompt": "ab", "response": "c"}
        """
        let ex = try loader(encode: encode).parse(text, file: "d.jsonl")
        XCTAssertEqual(ex, [TrainingExample(prompt: [0, 4], response: [5, 6]),
                            TrainingExample(prompt: [0, 2, 3], response: [4, 1])])
    }

    func testDataErrorsNameFileLineAndField() {
        func message(_ text: String, encode: TrainingDataLoader.Encode? = nil) -> String {
            do { _ = try loader(encode: encode).parse(text, file: "d.jsonl"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("{\"prompt_ids\": [0], \"response_ids\": [2]}\n{\"prompt_ids\": [0], \"response_ids\": \"x\"}"),
                       "d.jsonl:2: field 'response_ids': expected an array of integers, got string")
        XCTAssertEqual(message("{\"prompt\": \"a\", \"response\": \"b\"}"),
                       "d.jsonl:1: text examples need a tokenizer (--tokenizer FILE or an --init checkpoint with one)")
        XCTAssertEqual(message("{\"prompt_ids\": [0], \"response_ids\": [12]}"),
                       "d.jsonl:1: token id 12 is outside the vocabulary (vocab_size 12); was the data tokenized for another model?")
        XCTAssert(message("{\"prompt_ids\": [0,2,2,2,2], \"response_ids\": [2,2,2,2]}").hasPrefix("d.jsonl:1: prompt + response is 9 tokens"))
        XCTAssert(message("{\"prompt_ids\": [], \"response_ids\": [2]}").hasPrefix("d.jsonl:1: the prompt has no tokens"))
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
    /// Text demonstrations are tokenized as scoring does (prompt with BOS, response + EOS); the
    /// ids are those of Hugging Face `tokenizers` on the same tokenizer.json.
    func testTextDataMatchesHuggingFaceTokenization() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "demo_tokenizer", withExtension: "json", subdirectory: "Fixtures"))
        let config = try GPT2TrainingConfig(vocabSize: 512, nPositions: 40, nEmbd: 16, nLayer: 1, nHead: 2, bosTokenID: 0, eosTokenID: 1)
        let encode = try makeEncoder(tokenizerJSON: String(decoding: try Data(contentsOf: url), as: UTF8.self), source: "t.json", config: config)
        let loader = TrainingDataLoader(encode: encode, eosTokenID: 1, vocabSize: 512, maxLength: 40)
        let line = JSONValue.object([("prompt", .string("Question: 3 + 4?\nSolution:")), ("response", .string("\n3 + 4 = 7.\nAnswer: 7"))]).serialized()
        let ex = try loader.parse(line, file: "d.jsonl")
        // python: Tokenizer.from_file(...).encode(prompt, add_special_tokens=True).ids, response without
        XCTAssertEqual(ex[0].prompt, [0, 314, 27, 278, 289, 301, 32, 200, 315, 27])
        XCTAssertEqual(ex[0].response, [200, 20, 289, 301, 264, 330, 15, 200, 313, 27, 330, 1])
        var noEOS = loader
        noEOS.appendEOS = false
        XCTAssertEqual(try noEOS.parse(line, file: "d.jsonl")[0].response.last, 330)

        // (This tokenizer names no EOS that softq recognises, so the config's eos_token_id is used.)
        var small = config
        small.vocabSize = 100
        XCTAssertThrowsError(try makeEncoder(tokenizerJSON: String(decoding: try Data(contentsOf: url), as: UTF8.self), source: "t.json", config: small)) {
            XCTAssert("\($0)".contains("t.json has 512 ids, the model's vocab_size is 100"), "\($0)")
        }
        XCTAssertThrowsError(try makeEncoder(tokenizerJSON: "{\"model\": 3", source: "t.json", config: config)) {
            XCTAssert("\($0)".hasPrefix("option --tokenizer: t.json: "), "\($0)")
        }
    }
}
