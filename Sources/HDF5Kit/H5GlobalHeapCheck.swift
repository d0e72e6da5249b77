import Foundation

/// A byte-level check of a file's global heap collections, run before libhdf5 sees the file.
///
/// Variable-length data (h5py's `str` attributes such as a checkpoint's `config`) lives in
/// global heap collections. libhdf5 1.10.8 decodes a collection's objects trusting their
/// sizes: an object whose size runs past the collection's end makes it read out of bounds
/// (segfault) or step backwards and loop forever. Fuzzing the checkpoint loader found both
/// within seconds (docs/reliability.md, "Fuzzing"). The layout is simple and documented in
/// the HDF5 file format specification (III.E, global heap): "GCOL", version 1, 3 reserved
/// bytes, the collection size (8 bytes), then objects of [index: 2][references: 2]
/// [reserved: 4][size: 8][data padded to 8 bytes], index 0 being free space.
/// So every collection is walked here with bounds checks, and a file with a broken one is
/// refused before it is opened.
///
/// Collections are found by their signature. A candidate counts only if it is plausible (version
/// 1, at least the 4096-byte minimum collection size, inside the file), so tensor bytes that
/// happen to contain "GCOL" are ignored (a chance of about 2^-100 per position of also looking
/// plausible).
enum H5GlobalHeapCheck {
    static let minimumCollectionSize = 4096
    static let objectHeaderSize = 16

    /// nil when every plausible collection is well formed, else what is wrong and where.
    static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
        guard let base = bytes.baseAddress, bytes.count >= 16 else { return nil }
        let n = bytes.count
        var from = 0
        // memchr finds each "G" at memory speed; the other three bytes are compared here.
        while from + 16 <= n, let hit = memchr(base + from, Int32(UInt8(ascii: "G")), n - from) {
            let o = base.distance(to: UnsafeRawPointer(hit))
            from = o + 1
            guard o + 16 <= n, bytes[o + 1] == UInt8(ascii: "C"), bytes[o + 2] == UInt8(ascii: "O"),
                  bytes[o + 3] == UInt8(ascii: "L"), bytes[o + 4] == 1 else { continue }
            let size = bytes.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self).littleEndian
            guard size >= UInt64(minimumCollectionSize), size <= UInt64(n - o) else { continue }
            let end = o + Int(size)
            var p = o + 16
            while p + objectHeaderSize <= end {
                let index = bytes.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian
                let objectSize = bytes.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian
                // Object 0 is the free space: its size includes its own header. libhdf5 keeps
                // decoding after it until the collection's end, so the walk does too.
                // Sizes near 2^64 must not overflow the padding arithmetic (found by fuzzing).
                let padded = objectSize > UInt64.max - 32 ? UInt64.max : UInt64(objectHeaderSize) + ((objectSize + 7) & ~UInt64(7))
                let need = index == 0 ? objectSize : padded
                if need < UInt64(objectHeaderSize) || need > UInt64(end - p) {
                    return "global heap collection at byte \(o) (\(size) bytes): object \(index) at byte \(p) declares \(objectSize) bytes, which do not fit in the collection"
                }
                p += Int(need)
            }
        }
        return nil
    }
}
