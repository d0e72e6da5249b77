import Foundation

/// A little-endian byte encoding for resume records: doubles and floats are stored by their
/// bit patterns, so a value read back is the identical value (NaN payloads and −0 included),
/// and outputs rebuilt from saved records are byte-identical to an uninterrupted run's.
public struct BinaryRecordWriter: Sendable {
    public private(set) var data = Data()
    public init() {}

    public mutating func append(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    public mutating func append(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    public mutating func append(_ v: Int) { append(UInt64(bitPattern: Int64(v))) }
    public mutating func append(bytes: Data) { data.append(bytes) }
    public mutating func append(_ v: Bool) { data.append(v ? 1 : 0) }
    public mutating func append(_ v: Double) { append(v.bitPattern) }
    public mutating func append(_ v: Float) { append(v.bitPattern) }
    public mutating func append(_ v: Double?) {
        append(v != nil)
        if let v { append(v) }
    }
    public mutating func append(_ v: [Double]) {
        append(v.count)
        for x in v { append(x) }
    }
    public mutating func append(_ v: [Int]) {
        append(v.count)
        for x in v { append(x) }
    }
    public mutating func append(_ v: String) {
        let bytes = Array(v.utf8)
        append(bytes.count)
        data.append(contentsOf: bytes)
    }
}

/// Reads what `BinaryRecordWriter` wrote; running past the end is an error, not a crash.
public struct BinaryRecordReader {
    /// The bytes end before the record does, or a count or length does not fit them.
    public struct Truncated: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "record ends early" }
    }

    let bytes: [UInt8]
    public private(set) var offset = 0
    public init(_ data: Data) { bytes = [UInt8](data) }

    public var atEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else { throw Truncated() }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func uint64() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    public mutating func uint32() throws -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    public mutating func int() throws -> Int { Int(Int64(bitPattern: try uint64())) }
    public mutating func bool() throws -> Bool { try take(1).first! != 0 }
    public mutating func double() throws -> Double { Double(bitPattern: try uint64()) }
    public mutating func float() throws -> Float { Float(bitPattern: try uint32()) }
    public mutating func optionalDouble() throws -> Double? { try bool() ? try double() : nil }
    /// A count, checked against the bytes left so a corrupt count cannot allocate wildly.
    mutating func count(elementSize: Int) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (bytes.count - offset) / max(1, elementSize) else { throw Truncated() }
        return n
    }
    public mutating func doubles() throws -> [Double] {
        let n = try count(elementSize: 8)
        return try (0..<n).map { _ in try double() }
    }
    public mutating func ints() throws -> [Int] {
        let n = try count(elementSize: 8)
        return try (0..<n).map { _ in try int() }
    }
    public mutating func string() throws -> String {
        let n = try count(elementSize: 1)
        return String(decoding: try take(n), as: UTF8.self)
    }
}
