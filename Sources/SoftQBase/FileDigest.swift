import Crypto
import Foundation

/// SHA-256 of files and bytes, as lowercase hex: the one hashing path of softq (provenance,
/// run manifests, resume fingerprints). Files are read in 4 MiB chunks, so size is no limit.
public enum FileDigest {
    public struct ReadError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot read \(path) for hashing: \(reason)" }
    }

    public static func sha256(path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw ReadError(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? h.close() }
        var hasher = SHA256()
        do {
            while true {
                let chunk = try h.read(upToCount: 4 << 20) ?? Data()
                if chunk.isEmpty { break }
                hasher.update(data: chunk)
            }
        } catch {
            throw ReadError(path: path, reason: error.localizedDescription)
        }
        return hex(hasher.finalize())
    }

    public static func sha256(data: Data) -> String { hex(SHA256.hash(data: data)) }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
