import Foundation
import SoftQBase

/// Every number and string the report prints goes through here, so one rule holds everywhere.
///
/// Output must be byte-identical across runs and machines, so numbers never go through
/// locale-dependent or platform formatting: they are rounded with integer arithmetic.
///
/// - Statistics (accuracies, margins, correlations, Brier, ECE, win rates): `stat`, 3
///   significant digits, trailing zeros kept (`0.983`, `37.9`, `1.00`), scientific form below
///   10⁻³ and from 10⁶ (`1.23e-5`).
/// - Confidence intervals: `withCI` → `0.983 [0.967, 0.997]`.
/// - Settings (γ, α, learning rates, strengths): `setting`, the same digits without trailing
///   zeros (`0.99`, `0.001`, `1e-8`).
/// - Counts, seeds and ids are printed as they are; hashes are cut to `hashLength` characters
///   (the full value goes in a `title`).
/// - Exact values (shortest round-trip decimals, as in the JSON files) only in `data-*`
///   attributes, via `exact`.
public enum Format {
    public static let significantDigits = 3
    public static let hashLength = 12

    /// `x` rounded half away from zero to `decimals` places: `fixed(1.5, 2) == "1.5"`,
    /// `fixed(-0.0001, 2) == "0"`, `fixed(2, 2) == "2"`; `keepZeros` keeps trailing zeros
    /// (`fixed(2, 2, keepZeros: true) == "2.00"`). Non-finite values print as `nan`, `inf`,
    /// `-inf` (they never reach a coordinate: callers filter them first).
    public static func fixed(_ x: Double, _ decimals: Int = 2, keepZeros: Bool = false) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        precondition((0...9).contains(decimals), "decimals must be in 0...9")
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        // Beyond 2^53 / scale the value has no fractional digits worth printing anyway.
        guard abs(x) * Double(scale) < 9.0e15 else { return String(Int64(x.rounded())) }
        let r = Int64((x * Double(scale)).rounded(.toNearestOrAwayFromZero))
        if r == 0 { return keepZeros && decimals > 0 ? "0." + String(repeating: "0", count: decimals) : "0" }
        let a = r.magnitude
        let whole = a / UInt64(scale), frac = a % UInt64(scale)
        var s = r < 0 ? "-" : ""
        s += String(whole)
        if decimals > 0 && (frac != 0 || keepZeros) {
            var digits = String(frac)
            digits = String(repeating: "0", count: decimals - digits.count) + digits
            if !keepZeros { while digits.hasSuffix("0") { digits.removeLast() } }
            s += "." + digits
        }
        return s
    }

    /// The shortest decimal that reads back as the same double (the JSON writer's spelling,
    /// integers without `.0`), so a value in a `data-` attribute compares exactly with the JSON.
    public static func exact(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        if x == 0 { return "0" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return JSONValue.formatDouble(x)
    }

    /// A statistic to 3 significant digits (see the type's rules); NaN (undefined, null in the
    /// JSON) prints as `–`.
    public static func stat(_ x: Double) -> String { significant(x, keepZeros: true) }

    /// A setting (γ, α, a learning rate, a perturbation strength): 3 significant digits at most,
    /// no trailing zeros.
    public static func setting(_ x: Double) -> String { significant(x, keepZeros: false) }

    static func significant(_ x: Double, keepZeros: Bool) -> String {
        guard x.isFinite else { return x.isNaN ? "–" : (x > 0 ? "∞" : "−∞") }
        if x == 0 { return "0" }
        let digits = significantDigits
        var e = Int(log10(abs(x)).rounded(.down))
        // log10 may land one off near powers of ten; rounding may carry into the next decade.
        if abs(x) < pow(10, Double(e)) { e -= 1 }
        if abs(x) >= pow(10, Double(e + 1)) { e += 1 }
        if e < -3 || e >= 6 {
            var m = x / pow(10, Double(e))
            if abs(Double(fixed(m, digits - 1)) ?? 0) >= 10 { m /= 10; e += 1 }
            return fixed(m, digits - 1, keepZeros: keepZeros) + "e" + String(e)
        }
        if e >= digits - 1 {
            // 37912 → 37900: only the leading digits are significant.
            let unit = pow(10, Double(e - digits + 1))
            return String(Int64((x / unit).rounded(.toNearestOrAwayFromZero)) * Int64(unit))
        }
        let decimals = digits - 1 - e
        let s = fixed(x, decimals, keepZeros: keepZeros)
        // 0.9996 rounds to 1.000: one digit too many; print at the next decade's precision.
        if let v = Double(s), abs(v) >= pow(10, Double(e + 1)) {
            return fixed(x, decimals - 1, keepZeros: keepZeros)
        }
        return s
    }

    /// `[0.967, 0.997]`.
    public static func interval(_ low: Double, _ high: Double) -> String { "[\(stat(low)), \(stat(high))]" }

    /// `0.983 [0.967, 0.997]`, or the value alone without an interval.
    public static func withCI(_ value: Double, _ ci: (low: Double, high: Double)?) -> String {
        guard let ci else { return stat(value) }
        return stat(value) + " " + interval(ci.low, ci.high)
    }

    /// A hash cut to `hashLength` characters plus `…` (shorter strings unchanged).
    public static func shortHash(_ h: String) -> String {
        h.count > hashLength ? String(h.prefix(hashLength)) + "…" : h
    }

    /// Whether a string is a hex digest worth shortening (SHA-256 and the like).
    static func isHash(_ s: String) -> Bool {
        s.count >= 32 && s.allSatisfy { $0.isHexDigit }
    }

    /// Escapes text for XML/XHTML content and attribute values. Characters XML 1.0 forbids
    /// (C0 controls other than tab/newline/return, U+FFFE, U+FFFF) become U+FFFD so the
    /// document stays well-formed whatever a model or dataset produced.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

extension JSONValue {
    /// A setting's text: strings as they are, integers as they are, other numbers by
    /// `Format.setting`, null as `–`, arrays joined by spaces, objects as compact JSON.
    var cellText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Format.setting(d)
        case .null: return "–"
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return a.map(\.cellText).joined(separator: " ")
        default: return serialized()
        }
    }

    /// A statistic's text: numbers by `Format.stat` (integers as they are), null as `–`.
    var statText: String {
        switch self {
        case .double(let d): return Format.stat(d)
        default: return cellText
        }
    }
}
