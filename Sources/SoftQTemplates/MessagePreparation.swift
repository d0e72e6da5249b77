import SoftQBase

extension ChatTemplate {
    /// The names a message's reasoning may come under; transformers fills the first and third
    /// from whichever is set, because templates read one or the other.
    static let reasoningFields = ["reasoning_content", "thinking", "reasoning"]

    /// The messages as transformers 5 hands them to the template in `apply_chat_template`:
    /// keys whose value is null are dropped (so `message.content is none` becomes "is not
    /// defined"), and a message with reasoning under `reasoning_content`, `thinking` or
    /// `reasoning` (the first set, in that order) gets it as `reasoning_content` and, unless it
    /// has its own, as `thinking` (moved first). transformers 4.x passed messages unchanged; call this only to match
    /// transformers 5. Messages that are not objects pass through.
    public static func transformersPreparedMessages(_ messages: [JSONValue]) -> [JSONValue] {
        messages.map { message in
            guard case .object(let fields) = message else { return message }
            var kept = fields.filter { $0.1 != .null }
            guard let reasoning = reasoningFields.lazy.compactMap({ key in kept.first { $0.0 == key }?.1 }).first else {
                return .object(kept)
            }
            // Python's {"thinking": r, **message, "reasoning_content": r}: `thinking` comes first,
            // keeping the message's own value if it has one; `reasoning_content` keeps its place.
            if let i = kept.firstIndex(where: { $0.0 == "thinking" }) { kept.insert(kept.remove(at: i), at: 0) }
            else { kept.insert(("thinking", reasoning), at: 0) }
            if let i = kept.firstIndex(where: { $0.0 == "reasoning_content" }) { kept[i].1 = reasoning }
            else { kept.append(("reasoning_content", reasoning)) }
            return .object(kept)
        }
    }
}
