/// The character classes the split patterns use, computed once per scalar:
/// letter = \p{L} (general category L*), number = \p{N} (Nd, Nl, No), space = \s (the Unicode
/// White_Space property, as Oniguruma's \s in UTF-8 mode), other = everything else.
enum CharClass: UInt8, Sendable {
    case letter, number, space, other
}

enum CharClassifier {
    private static let ascii: [CharClass] = (0..<128).map { v in
        let s = Unicode.Scalar(UInt8(v))
        return slowClass(s)
    }

    /// The Unicode version of the regex engine inside `tokenizers` 0.23 (Oniguruma 6.9.10,
    /// Unicode 16.0; measured: Garay letters (16.0) are \p{L}, CJK Extension J (17.0) is not).
    /// Swift's own tables may be newer; characters assigned later count as unassigned (other).
    static let unicodeVersion = (major: 16, minor: 0)

    static func slowClass(_ s: Unicode.Scalar) -> CharClass {
        let p = s.properties
        if let age = p.age, (age.major, age.minor) > unicodeVersion { return .other }
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Rust's `char::is_numeric` (Nd, Nl, No) as the `Digits` pre-tokenizer uses it: Rust's
    /// tables, unlike Oniguruma's, follow the newest Unicode, so no version cutoff here.
    static func isNumeric(_ v: UInt32) -> Bool {
        if v < 128 { return v >= 0x30 && v <= 0x39 }
        guard let s = Unicode.Scalar(v) else { return false }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always)
    static func classify(_ v: UInt32) -> CharClass {
        if v < 128 { return ascii[Int(v)] }
        guard let s = Unicode.Scalar(v) else { return .other }
        return slowClass(s)
    }
}
