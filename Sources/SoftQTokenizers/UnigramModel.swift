/// The `Unigram` model stage (Kudo 2018, "Subword Regularization"; SentencePiece's unigram
/// language model): a word is split into the pieces whose scores (log-probabilities) have the
/// largest sum, found by Viterbi over byte positions, as Hugging Face `tokenizers` does.
///
/// The lattice, exactly in Hugging Face's order (so equal scores choose the same path):
/// - positions are visited left to right, one character at a time; from each, every piece
///   that is a prefix of the rest is tried, shortest first, and improves the best path ending
///   where it ends when its sum is strictly larger (or no path ended there yet);
/// - when no piece is that one character, the character may be `unk`, scored at the lowest
///   piece score minus 10;
/// - consecutive `unk` characters of the best path are one token (always fused); a fused run
///   that is not itself a piece becomes its bytes' `<0xNN>` pieces with `byte_fallback` when
///   all exist, else the `unk` id.
/// Scores are summed in Double, as there (f64), and read as Hugging Face reads them (see
/// `hfScore`): exact ties between paths are common, and which path wins depends on the last bit.
struct UnigramModel: Sendable {
    let vocab: Vocabulary
    let idToToken: [String]
    /// Score of each id (as written in the file).
    let scores: [Double]
    let unkID: Int
    /// The score of an `unk` character: the lowest piece score minus 10 (Hugging Face's
    /// K_UNK_PENALTY).
    let unkScore: Double
    /// Id of each byte's `<0xNN>` piece (−1 when absent); nil without `byte_fallback`.
    let byteFallbackIDs: [Int32]?
    /// The longest piece in UTF-8 bytes: no lattice edge is longer.
    let maxPieceBytes: Int
    /// Hashes (Vocabulary.hash) of every proper byte prefix of every piece: a span that is no
    /// piece's prefix cannot grow into a piece, so the lattice stops extending it there (what a
    /// trie's walk does). Without it a long piece would make every position try that many bytes.
    let prefixHashes: Set<UInt64>

    static let unknownPenalty = 10.0

    /// Reads `model` of type `Unigram`: `vocab` as [[piece, score], …] (id = index), `unk_id`,
    /// `byte_fallback`.
    static func read(_ f: JField) throws -> UnigramModel {
        let v = try f.required("vocab")
        guard case .array(let items) = v.node else {
            throw TokenizerError.invalidField(path: v.path, expected: "array of [piece, score]", actual: v.node.typeName)
        }
        var entries: [(String, Int)] = [], scores: [Double] = []
        entries.reserveCapacity(items.count)
        scores.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            // Entries are walked as raw JSON values; a path is built only for an error.
            guard case .array(let pair) = item, pair.count == 2, case .string(let piece) = pair[0] else {
                throw TokenizerError.invalidField(path: "\(v.path)[\(k)]", expected: "[piece, score]", actual: item.typeName)
            }
            let score: Double
            switch pair[1] {
            case .double(let d) where d.isFinite: score = hfScore(d)
            case .int(let i): score = Double(i)
            default: throw TokenizerError.invalidField(path: "\(v.path)[\(k)][1]", expected: "a finite number", actual: pair[1].typeName)
            }
            entries.append((piece, k))
            scores.append(score)
        }
        guard !entries.isEmpty else { throw TokenizerError.emptyVocabulary(source: v.path) }
        // Hugging Face fails on the first character no piece covers when there is no unk_id;
        // softq's encoder cannot fail, so such a model is refused when it is read.
        guard let u = f.child("unk_id") else {
            throw TokenizerError.unsupportedStage(path: f.path + ".unk_id", type: "Unigram",
                                                  hint: "a Unigram model without unk_id cannot encode text its pieces do not cover")
        }
        let unk = try u.int()
        guard unk >= 0, unk < entries.count else {
            throw TokenizerError.invalidField(path: u.path, expected: "an id below \(entries.count)", actual: "\(unk)")
        }
        let vocab = try Vocabulary(entries) { _ in v.path }
        let byteFallback = try f.bool("byte_fallback", default: false)
        return UnigramModel(
            vocab: vocab, idToToken: vocab.tokens, scores: scores, unkID: unk,
            unkScore: scores.min()! - unknownPenalty,
            byteFallbackIDs: byteFallback ? (0..<256).map { b in vocab[BPEModel.byteToken(UInt8(b))].map(Int32.init) ?? -1 } : nil,
            maxPieceBytes: entries.map { $0.0.utf8.count }.max() ?? 0,
            prefixHashes: prefixHashes(entries.map(\.0)))
    }

    private static func prefixHashes(_ pieces: [String]) -> Set<UInt64> {
        var out = Set<UInt64>()
        for piece in pieces {
            var h = Vocabulary.startHash
            for byte in piece.utf8.dropLast() {
                h = Vocabulary.hash(byte, seed: h)
                out.insert(h)
            }
        }
        return out
    }

    /// Appends the ids of one pre-tokenized word.
    func encodeCharacters(_ word: Substring, into out: inout [Int]) {
        var text = String(word)
        text.withUTF8 { encode($0, into: &out) }
    }

    private func encode(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        let n = b.count
        guard n > 0 else { return }
        // best[e]: the best score of a path over b[0..<e]; from[e]: where its last token
        // starts (−1: no path ends at e yet); last[e]: that token's id.
        var best = [Double](repeating: 0, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var last = [Int](repeating: -1, count: n + 1)
        from[0] = 0
        func offer(_ end: Int, _ start: Int, _ id: Int, _ score: Double) {
            if from[end] < 0 || score > best[end] { best[end] = score; from[end] = start; last[end] = id }
        }
        var pos = 0
        while pos < n {
            let charLength = UnigramModel.utf8Length(b[pos])
            let here = best[pos]
            var single = false
            var h = Vocabulary.startHash
            var end = pos
            while end < min(n, pos + maxPieceBytes) {
                h = Vocabulary.hash(b[end], seed: h)
                end += 1
                // A piece is valid UTF-8, so it can only end where a character ends.
                if end == n || b[end] & 0xC0 != 0x80,
                   let id = vocab.id(bytes: UnsafeBufferPointer(rebasing: b[pos..<end]), hash: h) {
                    offer(end, pos, id, scores[id] + here)
                    if end - pos == charLength { single = true }
                }
                if !prefixHashes.contains(h) { break }
            }
            if !single { offer(min(n, pos + charLength), pos, unkID, unkScore + here) }
            pos += charLength
        }
        // Back from the end: the tokens, with runs of unk fused.
        var pieces: [(Range<Int>, Int)] = []
        var end = n
        while end > 0 {
            let start = from[end], id = last[end]
            if id == unkID, let prev = pieces.last, prev.1 == unkID {
                pieces[pieces.count - 1] = (start..<prev.0.upperBound, unkID)
            } else {
                pieces.append((start..<end, id))
            }
            end = start
        }
        for (r, id) in pieces.reversed() {
            let span = UnsafeBufferPointer(rebasing: b[r])
            if id != unkID { out.append(id); continue }
            // A fused unk run: the piece it spells if there is one, else its bytes, else unk.
            if let piece = vocab.id(bytes: span) { out.append(piece); continue }
            if let table = byteFallbackIDs, span.allSatisfy({ table[Int($0)] >= 0 }) {
                for byte in span { out.append(Int(table[Int(byte)])) }
                continue
            }
            out.append(unkID)
        }
    }

    /// A score as Hugging Face `tokenizers` holds it. Its JSON reader (serde_json without the
    /// `float_roundtrip` feature) does not round decimals correctly: it reads the digits as one
    /// integer, converts that to Double (rounding once when it exceeds 2⁵³), then multiplies or
    /// divides by the power of ten (rounding again; beyond 10³⁰⁸ it first divides by 10³⁰⁸).
    /// A 16- or 17-digit score can so end one unit in the last place from the correctly
    /// rounded value that `d` is. The digits are those of `d`'s shortest round-trip form, which
    /// is what tokenizers and Python's json write.
    static func hfScore(_ d: Double) -> Double {
        // Swift's description is the shortest round-trip form: [-]digits[.digits][e[+-]digits].
        let text = d.magnitude.description
        var significand: UInt64 = 0, exponent = 0, afterPoint = false, digits = 0
        var chars = Substring(text)
        while let c = chars.first, c != "e" {
            chars.removeFirst()
            if c == "." { afterPoint = true; continue }
            guard let v = c.wholeNumberValue else { return d }
            // More digits than fit are never written in a shortest form (≤ 17 digits).
            guard digits < 19 else { return d }
            significand = significand * 10 + UInt64(v)
            digits += 1
            if afterPoint { exponent -= 1 }
        }
        if chars.first == "e" { guard let e = Int(chars.dropFirst()) else { return d }; exponent += e }
        var f = Double(significand)  // rounds to nearest, ties to even, as Rust's `as f64`
        while true {
            if exponent.magnitude <= 308 {
                let p = UnigramModel.powerOfTen(Int(exponent.magnitude))
                f = exponent >= 0 ? f * p : f / p
                break
            }
            guard f != 0, exponent < 0 else { break }
            f /= 1e308
            exponent += 308
        }
        return d.sign == .minus ? -f : f
    }

    /// 10^k correctly rounded (k ≤ 308), as a Double literal would be.
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)") ?? .nan }
    private static func powerOfTen(_ k: Int) -> Double { powersOfTen[k] }

    /// The length of the UTF-8 sequence a lead byte starts (1 for a stray continuation byte,
    /// which valid Swift strings never hold).
    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
