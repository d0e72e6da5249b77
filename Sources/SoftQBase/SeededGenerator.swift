/// The one source of randomness in softq: xoshiro256** seeded through SplitMix64.
///
/// Every random choice (bootstrap resamples, data order, initialisation, sampling,
/// perturbations) draws from a generator made from a user-visible seed, so a run is
/// reproducible bit for bit on any machine. `Double`s come from the top 53 bits.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(&sm), splitmix(&sm), splitmix(&sm), splitmix(&sm))
    }

    /// A child generator for an independent stream (e.g. one per pair), derived deterministically.
    public func derived(_ stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: s.0 ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ s.3)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in 0..<n (unbiased, Lemire's method via the stdlib).
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound")
        return Int.random(in: 0..<n, using: &self)
    }

    /// Standard normal by Box–Muller (deterministic: always consumes two uniforms).
    public mutating func nextGaussian() -> Double {
        var u1 = nextDouble()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = nextDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
