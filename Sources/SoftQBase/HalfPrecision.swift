/// 16-bit floating-point formats as stored in checkpoints, widened to float32 exactly (every
/// float16 and bfloat16 value is a float32 value) and narrowed with round-to-nearest-even.
/// Here, in the base module, because both the checkpoint reader (small tensors widened at
/// load) and the product kernels (weight panels widened inside the product loop) need the one
/// definition.

/// Converts IEEE half-precision bit patterns to float32 (exact: every half is a float).
public func convertFloat16(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let h = UInt32(src[i])
        let sign = (h & 0x8000) << 16
        let exp = (h >> 10) & 0x1F
        let mant = h & 0x3FF
        var bits: UInt32
        if exp == 0 {
            if mant == 0 { bits = sign } else {
                // Subnormal half: value = mant · 2^-24; float32 represents it exactly.
                let v = Float(mant) * 0x1p-24
                bits = v.bitPattern | sign
            }
        } else if exp == 0x1F {
            bits = sign | 0x7F80_0000 | (mant << 13)
        } else {
            bits = sign | ((exp + 112) << 23) | (mant << 13)
        }
        dst[i] = Float(bitPattern: bits)
    }
}

/// Converts bfloat16 bit patterns (the top 16 bits of a float32) to float32 (exact).
public func convertBFloat16(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
}

/// float32 → IEEE half with round-to-nearest-even (for writing float16 checkpoints).
public func float16Bits(_ f: Float) -> UInt16 {
    #if arch(x86_64) || arch(arm64)
    return Float16(f).bitPattern
    #else
    fatalError("Float16 unavailable on this architecture")
    #endif
}

/// float32 → bfloat16 with round-to-nearest-even; NaN stays NaN.
public func bfloat16Bits(_ f: Float) -> UInt16 {
    let b = f.bitPattern
    if f.isNaN { return UInt16(b >> 16) | 0x40 }
    let rounding = 0x7FFF + ((b >> 16) & 1)
    return UInt16((b &+ rounding) >> 16)
}

/// The two 16-bit formats a weight can stay in after loading.
public enum HalfFormat: String, Sendable {
    case float16, bfloat16

    /// Widens `count` stored values to float32 (exact).
    @inline(__always)
    public func widen(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .float16: convertFloat16(src, to: dst, count: count)
        case .bfloat16: convertBFloat16(src, to: dst, count: count)
        }
    }

    /// The index of the first infinity or NaN (every exponent bit set), if any.
    public func firstNonFinite(_ src: UnsafePointer<UInt16>, count: Int) -> Int? {
        let exponent: UInt16 = self == .float16 ? 0x7C00 : 0x7F80
        for i in 0..<count where src[i] & exponent == exponent { return i }
        return nil
    }
}

/// A weight matrix's elements as the product kernels read them: float32 memory, or 16-bit
/// values that are widened to float32 one panel at a time inside the product loop.
public enum MatrixElements {
    case float32(UnsafePointer<Float>)
    case half(UnsafePointer<UInt16>, HalfFormat)
}
