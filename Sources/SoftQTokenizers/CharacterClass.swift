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

    static func slowClass(_ s: Unicode.Scalar) -> CharClass {
        let p = s.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    @inline(__always)
    static func classify(_ v: UInt32) -> CharClass {
        if v < 128 { return ascii[Int(v)] }
        guard let s = Unicode.Scalar(v) else { return .other }
        return slowClass(s)
    }
}
