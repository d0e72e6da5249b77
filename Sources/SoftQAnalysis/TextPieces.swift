/// A text cut into words and sentences without losing a byte: joining the pieces gives the
/// input back exactly, so a perturbation that touches some words leaves every other character
/// (whitespace included) as it was.
struct WordPieces: Equatable {
    /// Whitespace before the first word.
    var lead: String
    /// Each word with the whitespace that follows it.
    var words: [(word: String, gap: String)]

    static func == (a: WordPieces, b: WordPieces) -> Bool {
        a.lead == b.lead && a.words.count == b.words.count
            && zip(a.words, b.words).allSatisfy { $0.word == $1.word && $0.gap == $1.gap }
    }

    init(lead: String, words: [(word: String, gap: String)]) {
        self.lead = lead
        self.words = words
    }

    init(_ text: String) {
        var lead = "", words: [(String, String)] = []
        var word = "", gap = ""
        for ch in text {
            if ch.isWhitespace {
                if word.isEmpty && words.isEmpty { lead.append(ch) } else { gap.append(ch) }
            } else {
                if !gap.isEmpty {
                    words.append((word, gap))
                    word = ""
                    gap = ""
                }
                word.append(ch)
            }
        }
        if !word.isEmpty { words.append((word, gap)) }
        self.lead = lead
        self.words = words.map { (word: $0.0, gap: $0.1) }
    }

    var text: String {
        var s = lead
        for w in words { s += w.word; s += w.gap }
        return s
    }
}

/// Sentences: a sentence ends at a newline, or after `.`, `!` or `?` followed by whitespace.
/// Each sentence keeps its trailing whitespace; `lead` is whitespace before the first one.
struct SentencePieces {
    var lead: String
    var sentences: [String]

    init(_ text: String) {
        let w = WordPieces(text)
        lead = w.lead
        sentences = []
        var current = ""
        for (word, gap) in w.words {
            current += word + gap
            let endsSentence = gap.contains("\n") || (!gap.isEmpty && [".", "!", "?"].contains(word.last))
            if endsSentence {
                sentences.append(current)
                current = ""
            }
        }
        if !current.isEmpty { sentences.append(current) }
    }

    var text: String { lead + sentences.joined() }
}
