/// Which bytes of the input text each token stands for, so that a per-token quantity can be
/// attributed to a span of the text (`softq analyze steps`).
extension Tokenizer {
    /// The raw bytes token `id` stands for in an encoded text: an added token's content, or a
    /// vocabulary entry mapped back through GPT-2's byte-level alphabet. nil when that is not
    /// defined: a tokenizer without a byte-level pre-tokenizer, or with a normalizer (both may
    /// rewrite the text, so tokens need not spell the input), or an id out of range.
    ///
    /// Guarantee, checked by the callers rather than assumed: for a byte-level tokenizer without
    /// a normalizer or an added prefix space, the tokens' bytes of `encode(text)` concatenate
    /// to `text`'s UTF-8 bytes.
    public func tokenBytes(_ id: Int) -> [UInt8]? {
        guard byteLevel, normalizer == nil else { return nil }
        if let a = addedByID[id] { return Array(a.content.utf8) }
        guard id >= 0, id < model.idToToken.count, !model.idToToken[id].isEmpty else { return nil }
        return ByteLevelMap.decode(model.idToToken[id]) ?? Array(model.idToToken[id].utf8)
    }
}
