import Foundation
import SoftQBase
import SoftQCheckpoint
import TestSupport
import XCTest

/// `softq inspect` shows who decides the special tokens and every contradiction between the
/// model's files, and refuses an id outside the vocabulary (docs/spec/special-tokens.md).
final class InspectSpecialTokensTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestPaths.temporaryDirectory("softq-inspect") }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    /// The tiny GPT-2 fixture (vocabulary 61, config bos 0 / eos 1) rewritten with the given
    /// side files; the tokenizer is a minimal one whose added tokens are <|bos|> 0, <|eos|> 1, <|eot|> 5.
    func checkpoint(generationConfig: String?, tokenizerConfig: String?) throws -> String {
        let source = try Checkpoint(path: TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQModelsTests/Fixtures/gpt2_tiny.h5").path)
        let tensors = try source.tensorNames.map { ($0, try source.loadTensor($0)) }
        var vocab: [(String, JSONValue)] = [("<|bos|>", .int(0)), ("<|eos|>", .int(1))]
        for k in 2..<61 where k != 5 { vocab.append(("t\(k)", .int(k))) }
        vocab.append(("<|eot|>", .int(5)))
        func added(_ id: Int, _ text: String) -> JSONValue {
            .object([("id", .int(id)), ("content", .string(text)), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                     ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(true))])
        }
        let tokenizer = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array([added(0, "<|bos|>"), added(1, "<|eos|>"), added(5, "<|eot|>")])),
            ("normalizer", .null), ("pre_tokenizer", .null), ("post_processor", .null), ("decoder", .null),
            ("model", .object([("type", .string("BPE")), ("vocab", .object(vocab)), ("merges", .array([]))])),
        ]).serialized()
        var writer = CheckpointWriter(modelType: "gpt2", configText: source.configText, tensors: tensors, tokenizerJSON: tokenizer)
        if let tokenizerConfig { writer.tokenizerFiles = [("tokenizer_config.json", tokenizerConfig)] }
        writer.generationConfig = generationConfig
        let path = dir.appendingPathComponent("c.h5").path
        try writer.write(to: path)
        return path
    }

    func inspect(_ path: String) throws -> (Int32, String, String) {
        guard let exe = TestPaths.softqExecutable else { throw XCTSkip("the softq executable is not built") }
        return try runProcess(exe.path, ["inspect", path, "--no-tree"])
    }

    func testSourcesAndContradictionsAreShown() throws {
        let path = try checkpoint(generationConfig: #"{"eos_token_id": [1, 5]}"#,
                                  tokenizerConfig: #"{"eos_token": "<|bos|>", "add_bos_token": false}"#)
        let (status, out, err) = try inspect(path)
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("tokenizer side files: tokenizer_config.json, generation_config (root attribute)"), out)
        XCTAssertTrue(out.contains(#"end of episode: 1 "<|eos|>" (config.eos_token_id, generation_config.eos_token_id); 5 "<|eot|>" (generation_config.eos_token_id)"#), out)
        XCTAssertTrue(out.contains(#"appended EOS: 1 "<|eos|>""#), out)
        XCTAssertTrue(out.contains(#"BOS: 0 "<|bos|>" (config.bos_token_id), not added (tokenizer_config.json add_bos_token)"#), out)
        XCTAssertTrue(out.contains(#"tokenizer_config.json eos_token names EOS id 0 ("<|bos|>"), which is not in the end-of-episode set [1, 5]"#), out)
        XCTAssertFalse(out.contains("warnings: none"), out)
    }

    func testAnIdOutsideTheVocabularyFails() throws {
        let path = try checkpoint(generationConfig: #"{"eos_token_id": [1, 99]}"#, tokenizerConfig: nil)
        let (status, out, _) = try inspect(path)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(out.contains("generation_config.eos_token_id: EOS id 99 is outside the model's vocabulary (0..<61)"), out)
    }
}
