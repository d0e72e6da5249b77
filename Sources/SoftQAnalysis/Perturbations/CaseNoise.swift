import SoftQBase

/// Flips the case of round(strength · L) of the response's L case-carrying letters (letters
/// whose upper and lower forms are single, different characters). Lower-casing the result
/// gives the lower-cased original; nothing but those letters changes.
public struct CaseNoise: Perturbation {
    public init() {}
    public let name = "case_noise"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "flip the case of strength · (number of cased letters) letters"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        var chars = Array(text)
        let cased = chars.indices.filter { Self.flipped(chars[$0]) != nil }
        guard !cased.isEmpty else { return nil }
        let k = scaledCount(strength, of: cased.count)
        var slots = cased
        for i in 0..<k { slots.swapAt(i, i + rng.nextInt(below: slots.count - i)) }
        for i in slots[0..<k] { chars[i] = Self.flipped(chars[i])! }
        return ResponseInput(text: String(chars))
    }

    static func flipped(_ c: Character) -> Character? {
        let up = c.uppercased(), low = c.lowercased()
        guard up.count == 1, low.count == 1, up != low else { return nil }
        return String(c) == up ? Character(low) : Character(up)
    }
}
