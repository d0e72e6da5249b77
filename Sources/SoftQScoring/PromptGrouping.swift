import SoftQModels

/// Whether responses that share their prompt ids run the prompt once (the default) or each
/// run it alone (`separate`, the reference path of the equality tests and `softq bench-grouping`).
public enum PromptGroupingMode: String, CaseIterable, Sendable {
    case shared, separate
}

/// One model call's records arranged as prompt groups: the responses of all records whose
/// prompt ids are identical become continuations of one `PromptGroup`, in order of first
/// appearance, so the prompt's forward pass runs once for all of them.
///
/// Exactness: a continuation's numbers depend only on its prompt and its own tokens (the
/// model's prompt pass is a pure function of the prompt ids, and each continuation extends its
/// own copy of the prompt's cache: `CausalLanguageModel.score`), so grouping gives the bits of
/// the one-record-per-group path (PromptGroupingTests check every per-token value).
struct PromptGrouping {
    var groups: [PromptGroup] = []
    var endsWithEOS: [[Bool]] = []
    /// For record k and its response r: (group, continuation) holding its scores.
    var slots: [[(group: Int, continuation: Int)]] = []

    /// `records`: each record's prompt and responses (ids, ends with EOS).
    init(_ records: [(prompt: [Int], responses: [(ids: [Int], endsWithEOS: Bool)])], mode: PromptGroupingMode) {
        var groupOf: [[Int]: Int] = [:]
        for r in records {
            let g: Int
            if mode == .shared, let existing = groupOf[r.prompt] {
                g = existing
            } else {
                g = groups.count
                groups.append(PromptGroup(prompt: r.prompt, continuations: []))
                endsWithEOS.append([])
                if mode == .shared { groupOf[r.prompt] = g }
            }
            slots.append(r.responses.map { resp in
                groups[g].continuations.append(resp.ids)
                endsWithEOS[g].append(resp.endsWithEOS)
                return (g, groups[g].continuations.count - 1)
            })
        }
    }

    /// Where the model call over records `start..<total` should end: after `size` records,
    /// moved on past records that share the last one's prompt (so a prompt's responses stay in
    /// one call and its prompt runs once), but at most `4 · size` records in all (bounded memory).
    /// `samePrompt(i, j)`: records i and j have identical prompt ids.
    static func chunkEnd(from start: Int, total: Int, size: Int, samePrompt: (Int, Int) -> Bool) -> Int {
        var end = min(start + max(1, size), total)
        let limit = min(start + 4 * max(1, size), total)
        while end < limit, samePrompt(end - 1, end) { end += 1 }
        return end
    }
}
