import SoftQBase
import XCTest
@testable import SoftQAnalysis

/// Each perturbation: what it changes, that it changes nothing else, determinism per seed.
final class PerturbationTests: XCTestCase {
    let text = "\nTom buys 5 more: 3 + 5 = 8.\nTom gives 2 to Ann: 8 - 2 = 6.\nAnswer: 6"
    let rejected = "\nTom buys 5 more: 3 + 5 = 8.\nTom gives 2 to Ann: 8 - 2 = 5.\nAnswer: 5"
    let prose = "The cat sat. It was warm!  Then it slept? Yes, all day long"

    func run(_ p: any Perturbation, _ input: ResponseInput, _ strength: Double, seed: UInt64 = 7,
             context: PerturbationContext = PerturbationContext()) -> ResponseInput? {
        var rng = SeededGenerator(seed: seed)
        return p.apply(to: input, strength: strength, context: context, rng: &rng)
    }

    func words(_ s: String) -> [String] { s.split(whereSeparator: { $0.isWhitespace }).map(String.init) }

    func testWordPiecesRoundTripEveryByte() {
        for s in [text, prose, "", "   ", " a\t\tb\n", "x"] {
            XCTAssertEqual(WordPieces(s).text, s)
            XCTAssertEqual(SentencePieces(s).text, s)
        }
        XCTAssertEqual(SentencePieces(text).sentences.count, 3)
        XCTAssertEqual(SentencePieces(prose).sentences, ["The cat sat. ", "It was warm!  ", "Then it slept? ", "Yes, all day long"])
    }

    func testRegistryNamesAreUniqueAndResolvable() throws {
        XCTAssertEqual(Set(PerturbationRegistry.names).count, PerturbationRegistry.all.count)
        XCTAssertEqual(PerturbationRegistry.all.count, 10)
        for n in PerturbationRegistry.names { XCTAssertEqual(try PerturbationRegistry.named(n).name, n) }
        XCTAssertThrowsError(try PerturbationRegistry.named("nope"))
        for p in PerturbationRegistry.all {
            XCTAssertEqual(p.defaultStrengths, p.defaultStrengths.sorted(), p.name)
            XCTAssertTrue(p.defaultStrengths.allSatisfy { $0 > 0 && $0 <= 1 }, p.name)
        }
    }

    func testTruncationKeepsAWordPrefixWithinBudget() throws {
        for s in [0.25, 0.5, 0.75] {
            let out = try XCTUnwrap(run(Truncation(), ResponseInput(text: text), s)).text!
            XCTAssertTrue(text.hasPrefix(out))
            XCTAssertLessThanOrEqual(Double(out.count), Double(text.count) * (1 - s))
            XCTAssertFalse(out.last!.isWhitespace)
            let w = words(out)
            XCTAssertEqual(Array(words(text).prefix(w.count)), w)   // cut at a word boundary
        }
        XCTAssertEqual(run(Truncation(), ResponseInput(text: text), 0.5)!.text, "\nTom buys 5 more: 3 + 5 = 8.\nTom")   // 32 of 69 characters
        XCTAssertNil(run(Truncation(), ResponseInput(text: "single"), 0.5))
        XCTAssertNil(run(Truncation(), ResponseInput(ids: [1, 2, 3]), 0.5))
    }

    func testSpanDropRemovesOneContiguousSpan() throws {
        let orig = words(prose)
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(SpanDrop(), ResponseInput(text: prose), 0.25, seed: seed)).text!
            let w = words(out)
            let k = orig.count - w.count
            XCTAssertEqual(k, 3)   // round(0.25 · 13 words)
            // Some prefix and the complementary suffix of the original remain, nothing else.
            let pre = zip(orig, w).prefix { $0 == $1 }.count
            XCTAssertEqual(Array(orig[(pre + k)...]), Array(w[pre...]))
            XCTAssertFalse(out.last!.isWhitespace)   // ends the way the original did
        }
    }

    func testSpanRepeatDuplicatesASpanInPlace() throws {
        let orig = words(prose)
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(SpanRepeat(), ResponseInput(text: prose), 0.25, seed: seed)).text!
            let w = words(out)
            XCTAssertEqual(w.count, orig.count + 3)
            // Removing the copy (3 words right after an identical 3-word span) gives the original.
            let found = (0...(w.count - 6)).contains { i in
                Array(w[i..<(i + 3)]) == Array(w[(i + 3)..<(i + 6)]) && Array(w[..<(i + 3)] + w[(i + 6)...]) == orig
            }
            XCTAssertTrue(found, out)
        }
    }

    func testSentenceShuffleOnlyReordersSentences() throws {
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(SentenceShuffle(), ResponseInput(text: text), 1.0, seed: seed)).text!
            XCTAssertNotEqual(out, text)
            let lines = out.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.sorted(), text.split(separator: "\n").map(String.init).sorted())
            XCTAssertEqual(out.filter { $0 == "\n" }.count, 3)
            XCTAssertTrue(out.hasPrefix("\n"))   // leading whitespace kept
        }
        XCTAssertNil(run(SentenceShuffle(), ResponseInput(text: "one sentence only"), 1.0))
    }

    func testTokenShuffleIsAWindowPermutation() throws {
        let ids = Array(100..<140)
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(TokenShuffle(), ResponseInput(ids: ids), 0.25, seed: seed)).ids!
            XCTAssertNil(run(TokenShuffle(), ResponseInput(ids: ids), 0.25, seed: seed)?.text)
            XCTAssertEqual(out.sorted(), ids)
            let changed = ids.indices.filter { out[$0] != ids[$0] }
            XCTAssertGreaterThanOrEqual(changed.count, 2)
            XCTAssertLessThanOrEqual(changed.last! - changed.first! + 1, 10)   // inside one window of 10
        }
        XCTAssertNil(run(TokenShuffle(), ResponseInput(ids: [5, 5, 5]), 1.0))
        // Repeated ids: the copy still differs from the original (a redraw finds an order that does).
        for seed in UInt64(0)..<20 {
            XCTAssertNotEqual(run(TokenShuffle(), ResponseInput(ids: [7, 7, 8]), 1.0, seed: seed)?.ids, [7, 7, 8])
        }
        XCTAssertNil(run(TokenShuffle(), ResponseInput(text: text), 0.5))
    }

    func testTokenSubstitutionAvoidsSpecialIDs() throws {
        let ids = Array(repeating: 3, count: 20)
        let ctx = PerturbationContext(vocabularySize: 6, specialIDs: [0, 1])
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(TokenSubstitution(), ResponseInput(ids: ids), 0.25, seed: seed, context: ctx)).ids!
            XCTAssertEqual(out.count, 20)
            let changed = out.indices.filter { out[$0] != ids[$0] }
            XCTAssertEqual(changed.count, 5)
            XCTAssertTrue(changed.allSatisfy { [2, 4, 5].contains(out[$0]) })
        }
        XCTAssertNil(run(TokenSubstitution(), ResponseInput(ids: ids), 0.25, context: PerturbationContext(vocabularySize: 2, specialIDs: [0])))
    }

    func testIrrelevantAppendKeepsOriginalAsPrefix() throws {
        let out = try XCTUnwrap(run(IrrelevantAppend(), ResponseInput(text: text), 0.5)).text!
        XCTAssertTrue(out.hasPrefix(text + "\n"))
        let added = String(out.dropFirst(text.count + 1))
        XCTAssertGreaterThanOrEqual(words(added).count, 8)   // round(0.5 · 17) words at least
        for line in added.split(separator: "\n") { XCTAssertTrue(IrrelevantAppend.sentences.contains(String(line))) }
        let p = try XCTUnwrap(run(IrrelevantAppend(), ResponseInput(text: "short answer"), 0.1)).text!
        XCTAssertTrue(p.hasPrefix("short answer "))
    }

    func testWhitespaceNoiseChangesOnlyWhitespace() throws {
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(WhitespaceNoise(), ResponseInput(text: prose), 0.5, seed: seed)).text!
            XCTAssertEqual(out.filter { !$0.isWhitespace }, prose.filter { !$0.isWhitespace })
            XCTAssertEqual(out.count, prose.count + 6)   // round(0.5 · 12 gaps) extra characters
            XCTAssertEqual(words(out), words(prose))
        }
    }

    func testCaseNoiseChangesOnlyCase() throws {
        for seed in UInt64(0)..<20 {
            let out = try XCTUnwrap(run(CaseNoise(), ResponseInput(text: prose), 0.25, seed: seed)).text!
            XCTAssertEqual(out.lowercased(), prose.lowercased())
            let diffs = zip(out, prose).filter { $0 != $1 }.count
            XCTAssertEqual(diffs, 11)   // round(0.25 · 43 letters)
        }
        XCTAssertNil(run(CaseNoise(), ResponseInput(text: "12 + 3 = 15"), 0.5))
    }

    func testRejectedTailSwap() throws {
        let ctx = PerturbationContext(rejected: ResponseInput(text: rejected))
        let out = try XCTUnwrap(run(RejectedTailSwap(), ResponseInput(text: text), 0.1, context: ctx)).text!
        // round(0.1 · 17) = 2 words: "Answer: 6" becomes "Answer: 5".
        XCTAssertEqual(out, "\nTom buys 5 more: 3 + 5 = 8.\nTom gives 2 to Ann: 8 - 2 = 6.\nAnswer: 5")
        let out2 = try XCTUnwrap(run(RejectedTailSwap(), ResponseInput(text: text), 0.25, context: ctx)).text!
        XCTAssertTrue(out2.hasSuffix("= 5.\nAnswer: 5"))
        XCTAssertNil(run(RejectedTailSwap(), ResponseInput(text: text), 0.25))   // no rejected response
        XCTAssertNil(run(RejectedTailSwap(), ResponseInput(text: text), 0.1, context: PerturbationContext(rejected: ResponseInput(text: text))))
    }

    func testEveryPerturbationIsDeterministicPerSeedAndVariesAcrossSeeds() {
        let input = ResponseInput(text: prose, ids: Array(10..<50))
        let ctx = PerturbationContext(rejected: ResponseInput(text: rejected), vocabularySize: 1000, specialIDs: [0])
        for p in PerturbationRegistry.all {
            let a = run(p, input, 0.5, seed: 1, context: ctx), b = run(p, input, 0.5, seed: 1, context: ctx)
            XCTAssertNotNil(a, p.name)
            XCTAssertEqual(a, b, p.name)
            XCTAssertNotEqual(a, input, p.name)
            // The output carries exactly one representation: the one the type works on.
            XCTAssertTrue((a?.text == nil) != (a?.ids == nil), p.name)
        }
        let randomOnes = ["drop_span", "repeat_span", "shuffle_tokens", "substitute_tokens", "whitespace_noise", "case_noise"]
        for name in randomOnes {
            let p = try! PerturbationRegistry.named(name)
            let outs = Set((UInt64(0)..<10).compactMap { run(p, input, 0.25, seed: $0, context: ctx).map { "\($0)" } })
            XCTAssertGreaterThan(outs.count, 1, name)
        }
    }

    func testPlanStreamsDoNotDependOnSelection() throws {
        let chosen = [ResponseInput(text: prose, ids: Array(0..<30)), ResponseInput(text: text, ids: Array(5..<25))]
        let ctx = [PerturbationContext(vocabularySize: 100), PerturbationContext(vocabularySize: 100)]
        let all = try PerturbationSelection.parse([])
        let one = try PerturbationSelection.parse(["case_noise=0.25"])
        let a = try planPerturbations(chosen: chosen, contexts: ctx, selections: all, seed: 3)
        let b = try planPerturbations(chosen: chosen, contexts: ctx, selections: one, seed: 3)
        let fromAll = a.planned.filter { $0.type == "case_noise" && $0.strength == 0.25 }.map(\.perturbed)
        XCTAssertEqual(fromAll, b.planned.map(\.perturbed))
        XCTAssertEqual(b.planned.count, 2)
        // swap_rejected_tail has no rejected response here: every copy is skipped and counted.
        XCTAssertEqual(a.skipped["swap_rejected_tail"]?.values.reduce(0, +), 6)
        XCTAssertThrowsError(try PerturbationSelection.parse(["truncate=0"]))
        XCTAssertThrowsError(try PerturbationSelection.parse(["truncate=x"]))
        XCTAssertThrowsError(try PerturbationSelection.parse(["truncate=0.1", "truncate=0.5"]))
        XCTAssertEqual(try PerturbationSelection.parse(["truncate=0.5,0.1"])[0].strengths, [0.1, 0.5])
    }
}
