// Eight-lane float32 exponential for the elementwise kernels (GELU, SiLU, softmax, logsumexp).
//
// Every element goes through the same lane arithmetic, including the tail of an array (padded
// into a full vector), so an element's result depends on its value alone: never on where it
// sits in a buffer, hence never on batch size, packing or thread count.

/// e^x, eight lanes: Cody–Waite reduction x = n·ln2 + r (|r| ≤ ln2/2) and Cephes' degree-6
/// minimax polynomial for e^r (Moshier, Cephes `expf`), scaled by 2^n built from the exponent
/// bits. Relative error ≤ 2 ulp on [−87.3, 88.3]; below, the result is 0 (so e^−∞ = 0); above,
/// inputs are clamped (≈ 2.4e38, never ∞). NaN is not propagated.
@inline(__always)
public func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
    // Masked replaces, not clamped(): the generic min/max are not inlined and cost 3% of a pass.
    var x = input
    x.replace(with: -87.3365479, where: x .< -87.3365479)
    x.replace(with: 88.3762589, where: x .> 88.3762589)
    // Adding 1.5·2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let t = x * 1.44269504088896341 + magic
    let n = t - magic
    var r = x - n * 0.693359375
    r = r + n * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * (r * r) + r + 1
    let biased = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
    let e = p * unsafeBitCast(biased &<< 23, to: SIMD8<Float>.self)
    return e.replacing(with: 0, where: input .< -87.3365479)
}

/// Applies `f` to x[0..<count] eight at a time, writing out (may alias x); the tail is padded
/// with zeros so it takes the same path as the rest.
@inline(__always)
func map8(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
          _ f: (SIMD8<Float>, Int) -> SIMD8<Float>) {
    let full = count & ~7
    var i = 0
    while i < full {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: f(v, i), as: SIMD8<Float>.self)
        i += 8
    }
    if full < count {
        var v = SIMD8<Float>(repeating: 0)
        for j in 0..<(count - full) { v[j] = x[full + j] }
        let y = f(v, full)
        for j in 0..<(count - full) { out[full + j] = y[j] }
    }
}

/// Stores the first min(valid, 8) lanes of v at p.
@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>, valid: Int) {
    if valid >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for j in 0..<valid { p[j] = v[j] }
}

/// Loads eight floats starting at p, `pad` past `valid` (< 8 when at a tail).
@inline(__always)
func load8(_ p: UnsafePointer<Float>, valid: Int, pad: Float = 0) -> SIMD8<Float> {
    if valid >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>(repeating: pad)
    for j in 0..<valid { v[j] = p[j] }
    return v
}

/// Lane-wise maximum (inlined; see exp8).
@inline(__always)
func max8(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }
