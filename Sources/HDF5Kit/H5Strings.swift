/// Rules for strings handed to HDF5.
///
/// HDF5's variable-length strings are C strings: the library stores the bytes up to the first
/// NUL and silently drops the rest, so "a\u{0}b" would come back as "a" and two different ids
/// could collide. softq refuses such strings instead of storing them lossily (h5py refuses
/// them too); a caller that needs arbitrary bytes must encode them first.
enum H5Strings {
    /// Throws `.invalidValue` naming the first string that contains U+0000.
    static func checkStorable(_ values: [String], file: String, object: String) throws {
        for (k, v) in values.enumerated() {
            guard let nul = v.utf8.firstIndex(of: 0) else { continue }
            let byte = v.utf8.distance(from: v.utf8.startIndex, to: nul)
            let where_ = values.count == 1 ? "the string" : "string \(k) of \(values.count)"
            throw HDF5Error(.invalidValue, file: file, object: object,
                            detail: "\(where_) (\(preview(v))) contains a NUL character (U+0000) at UTF-8 byte \(byte); HDF5 strings end at the first NUL, so it would be stored truncated")
        }
    }

    /// The string quoted and escaped, shortened to about 40 characters for error messages.
    static func preview(_ s: String, limit: Int = 40) -> String {
        let head = s.prefix(limit).unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
        return "\"\(head)\"" + (s.count > limit ? "… (\(s.utf8.count) bytes)" : "")
    }
}
