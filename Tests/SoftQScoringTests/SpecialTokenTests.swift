import Foundation
import SoftQBase
import SoftQScoring
import SoftQTokenizers
import TestSupport
import XCTest

/// Who decides the special tokens (docs/spec/special-tokens.md), on the demo tokenizer:
/// `<|bos|>` = 0, `<|eos|>` = 1, and a post-processor that prepends BOS.
final class SpecialTokenTests: XCTestCase {
    static let tokenizer: Tokenizer = {
        let url = TestPaths.repositoryRoot.appendingPathComponent("notebooks-data/task/tokenizer.json")
        return try! Tokenizer(tokenizerJSON: try! Data(contentsOf: url))
    }()
    var tok: Tokenizer { Self.tokenizer }
    var vocab: Int { tok.vocabularySize }

    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    func resolve(config: String = "{}", generation: String? = nil, tokenizerConfig: String? = nil, eot: Int? = nil,
                 eos: [TokenSpec] = [], bos: TokenSpec? = nil, vocabularySize: Int? = nil) throws -> SpecialTokens {
        try SpecialTokenSources(config: try json(config), generationConfig: try generation.map(json),
                                tokenizerConfig: try tokenizerConfig.map(json), tokenizer: tok,
                                vocabularySize: vocabularySize ?? vocab, chatEndOfTurn: eot,
                                eosOverride: eos, bosOverride: bos).resolve()
    }

    func testConfigDecidesEvenAgainstTheTokenizersGuess() throws {
        // A name-based guess would pick <|bos|>/<|eos|>; the config names 7.
        let s = try resolve(config: #"{"eos_token_id": 7, "bos_token_id": 0}"#)
        XCTAssertEqual(s.eosIDs, [7])
        XCTAssertEqual(s.appendedEOS, 7)
        XCTAssertEqual(s.endOfEpisode[0].sources, ["config.eos_token_id"])
        XCTAssertEqual(s.bosID, 0)
        XCTAssertTrue(s.addBOS)
        XCTAssertEqual(s.warnings, [])
        XCTAssertTrue(s.endsEpisode(7))
        XCTAssertFalse(s.endsEpisode(1))
    }

    func testListOfEOSIdsAndGenerationConfigUnion() throws {
        // Llama-3-Instruct style: config lists two, generation config three (a superset: no warning).
        let s = try resolve(config: #"{"eos_token_id": [5, 6]}"#, generation: #"{"eos_token_id": [5, 6, 9], "bos_token_id": 0}"#)
        XCTAssertEqual(s.eosIDs, [5, 6, 9])
        XCTAssertEqual(s.appendedEOS, 5)
        XCTAssertEqual(s.endOfEpisode.map(\.sources), [["config.eos_token_id", "generation_config.eos_token_id"],
                                                        ["config.eos_token_id", "generation_config.eos_token_id"],
                                                        ["generation_config.eos_token_id"]])
        XCTAssertEqual(s.warnings, [])
        // Only the generation config names EOS (Gemma, Phi-3 put end of turn there): it decides.
        let g = try resolve(generation: #"{"eos_token_id": [1, 8]}"#)
        XCTAssertEqual(g.eosIDs, [1, 8])
        XCTAssertEqual(g.appendedEOS, 1)
    }

    func testDisagreeingSourcesWarn() throws {
        let s = try resolve(config: #"{"eos_token_id": 5}"#, generation: #"{"eos_token_id": 6}"#,
                            tokenizerConfig: #"{"eos_token": "<|eos|>", "bos_token": {"content": "<|bos|>"}}"#)
        XCTAssertEqual(s.eosIDs, [5, 6])
        XCTAssertEqual(s.warnings.count, 2, "\(s.warnings)")
        XCTAssertTrue(s.warnings[0].contains("config.eos_token_id [5] and generation_config.eos_token_id [6] name different tokens"), s.warnings[0])
        XCTAssertTrue(s.warnings[1].contains("tokenizer_config.json eos_token names EOS id 1"), s.warnings[1])
        // A BOS named differently by config and tokenizer config.
        let b = try resolve(config: #"{"eos_token_id": 1, "bos_token_id": 3}"#, tokenizerConfig: #"{"bos_token": "<|bos|>"}"#)
        XCTAssertEqual(b.bosID, 3)
        XCTAssertTrue(b.warnings.contains { $0.contains("tokenizer_config.json bos_token names BOS id 0, but config.bos_token_id names 3") }, "\(b.warnings)")
    }

    func testTokenizerFilesDecideOnlyWithoutConfig() throws {
        let s = try resolve(tokenizerConfig: #"{"eos_token": "<|eos|>", "add_bos_token": false}"#)
        XCTAssertEqual(s.eosIDs, [1])
        XCTAssertEqual(s.endOfEpisode[0].sources, ["tokenizer_config.json eos_token"])
        XCTAssertFalse(s.addBOS, "add_bos_token false overrides the post-processor")
        XCTAssertEqual(s.addBOSSource, "tokenizer_config.json add_bos_token")
        XCTAssertEqual(s.warnings, [])
        // Nothing names an EOS: a guess from the vocabulary, with a warning saying so.
        let guess = try resolve()
        XCTAssertEqual(guess.eosIDs, [1])
        XCTAssertEqual(guess.warnings.count, 1)
        XCTAssertTrue(guess.warnings[0].contains("guessed id 1"), guess.warnings[0])
    }

    func testChatTemplateEndOfTurnJoinsTheSet() throws {
        let s = try resolve(config: #"{"eos_token_id": 1}"#, eot: 4)
        XCTAssertEqual(s.eosIDs, [1, 4])
        XCTAssertEqual(s.appendedEOS, 1, "the appended EOS stays the config's")
        XCTAssertEqual(s.endOfEpisode[1].sources, ["chat template end of turn"])
    }

    func testOverridesReplaceTheSet() throws {
        let s = try resolve(config: #"{"eos_token_id": [5, 6]}"#, eos: [.text("<|eos|>"), .id(9)], bos: .id(2))
        XCTAssertEqual(s.eosIDs, [1, 9])
        XCTAssertEqual(s.appendedEOS, 1)
        XCTAssertEqual(s.bosID, 2)
        XCTAssertEqual(s.bosSource, "--bos-token")
        XCTAssertThrowsError(try resolve(eos: [.text("<|nope|>")])) { e in
            XCTAssertEqual("\(e)", "--eos-token: the tokenizer has no token \"<|nope|>\"")
        }
    }

    func testOutOfVocabularyIdsAreErrors() throws {
        XCTAssertThrowsError(try resolve(config: #"{"eos_token_id": 70000}"#)) { e in
            XCTAssertEqual("\(e)", "config.eos_token_id: EOS id 70000 is outside the model's vocabulary (0..<\(self.vocab))")
        }
        XCTAssertThrowsError(try resolve(config: #"{"eos_token_id": 1}"#, generation: #"{"eos_token_id": [1, -2]}"#)) { e in
            XCTAssertTrue("\(e)".contains("EOS id -2 is outside"), "\(e)")
        }
        XCTAssertThrowsError(try resolve(config: #"{"eos_token_id": 1, "bos_token_id": 99999}"#)) { e in
            XCTAssertTrue("\(e)".hasPrefix("config.bos_token_id: BOS id 99999 is outside"), "\(e)")
        }
        XCTAssertThrowsError(try resolve(config: #"{"eos_token_id": "x"}"#)) { e in
            XCTAssertEqual("\(e)", "config.eos_token_id: expected an integer or a list of integers, found string")
        }
        XCTAssertThrowsError(try resolve(tokenizerConfig: #"{"eos_token": "<|missing|>"}"#)) { e in
            XCTAssertTrue("\(e)".contains("does not contain"), "\(e)")
        }
    }

    func testRecordedInSummaryOptions() throws {
        let s = try resolve(config: #"{"eos_token_id": [1], "bos_token_id": 0}"#)
        XCTAssertEqual(s.json.serialized(),
                       #"{"eos_ids":[1],"eos_sources":[{"id":1,"token":"<|eos|>","sources":["config.eos_token_id"]}],"append_eos_id":1,"bos_id":0,"bos_token":"<|bos|>","bos_source":"config.bos_token_id","add_bos":true,"add_bos_source":"the tokenizer's post-processor prepends it"}"#)
    }

    /// Terminality follows the whole set: a token-id response ending in any member is terminal,
    /// and text responses get the config's first EOS.
    func testTerminalityUsesTheSet() throws {
        let s = try resolve(config: #"{"eos_token_id": [1, 4], "bos_token_id": 0}"#)
        let tp = TokenizationPolicy(tokenizer: tok, appendEOS: true, special: s, vocabularySize: vocab, contextLength: 256, inputPath: "x")
        let ids = try tp.prepare(PairRecord(line: 1, id: "a", subset: "", content: .ids(prompt: [0, 5], chosen: [7, 4], rejected: [7, 8])))
        XCTAssertTrue(ids.chosen.endsWithEOS)
        XCTAssertFalse(ids.rejected.endsWithEOS)
        let text = try tp.prepare(PairRecord(line: 1, id: "b", subset: "", content: .text(prompt: "1+1=", chosen: "2", rejected: "3")))
        XCTAssertEqual(text.prompt.first, 0)
        XCTAssertEqual(text.chosen.ids.last, 1)
        XCTAssertTrue(text.chosen.endsWithEOS)
    }
}
