/// Bounded lists for error messages: a file with 10^5 missing tensors must produce a message a
/// person can read (and a log line that does not fill a disk), so lists are cut after `limit`
/// entries with a count of the rest.
public enum ListSummary {
    /// The first `limit` items, then "... and N more" when items were left out.
    public static func capped(_ items: [String], limit: Int = 20) -> [String] {
        guard items.count > limit else { return items }
        return Array(items.prefix(max(limit, 0))) + ["... and \(items.count - max(limit, 0)) more"]
    }
}
