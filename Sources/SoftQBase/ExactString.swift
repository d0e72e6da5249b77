/// A string as a dictionary key compared byte for byte (its UTF-8). Swift's `String` equality
/// is canonical equivalence: "য়" (U+09DF) == "য়" (U+09AF U+09BC), and "é" == "e" + U+0301.
/// Keys read from files — JSON object keys, a tokenizer's pieces — are distinct when their
/// bytes are, as in Python and Rust; a `[String: V]` would merge them.
public struct ExactString: Hashable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (a: ExactString, b: ExactString) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    public func hash(into h: inout Hasher) {
        var t = text
        t.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
