import CHDF5
import Foundation

/// An open HDF5 file, shaped like `h5py.File`: `file["a/b"]`, `file.root.names`,
/// `file.attributes["x"]`. The handle closes itself when the last reference goes away.
///
/// `@unchecked Sendable`: libhdf5 is built thread-safe (H5_HAVE_THREADSAFE: one global lock
/// around every call) and the only mutable state, the lazily made mapping, is read and
/// written under `lock`.
public final class H5File: @unchecked Sendable {
    public enum Mode: Sendable {
        /// Open an existing file for reading.
        case readOnly
        /// Open an existing file for reading and writing.
        case readWrite
        /// Create, replacing an existing file.
        case truncate
        /// Create; fail if the file exists.
        case exclusive
    }

    public let path: String
    public let mode: Mode
    let id: hid_t
    private var mapping: FileMapping?
    private var mappingTried = false
    private let lock = NSLock()

    /// Opens or creates `path`. Files created here align every object to `alignment` bytes
    /// (64 by default) so tensors can be memory-mapped and read with aligned SIMD loads.
    public init(path: String, mode: Mode = .readOnly, alignment: Int = 64) throws {
        HDF5Library.ensure()
        self.path = path
        self.mode = mode
        switch mode {
        case .readOnly, .readWrite:
            guard FileManager.default.fileExists(atPath: path) else {
                throw HDF5Error(.openFailed, file: path, detail: "no such file")
            }
            let isH5 = H5Fis_hdf5(path)
            if isH5 <= 0 {
                // Distinguish "not HDF5 at all" from "HDF5 but damaged" (e.g. truncated): the
                // signature is in the first 8 bytes (or at 512, 1024, … for user blocks).
                _ = HDF5Library.takeErrorStack()
                throw HDF5Error(.notHDF5, file: path,
                                detail: HDF5Signature.present(path) ? "the file has an HDF5 signature but is damaged or truncated" : "no HDF5 signature; expected an HDF5 file (.h5) such as a softq checkpoint")
            }
            if let mapping = FileMapping(path: path),
               let problem = H5GlobalHeapCheck.problem(in: UnsafeRawBufferPointer(start: mapping.base, count: mapping.size)) {
                throw HDF5Error(.openFailed, file: path,
                                detail: "the file is damaged: \(problem); refused before libhdf5 reads it (libhdf5 1.10 can crash or hang on such heaps)")
            }
            let flags = mode == .readOnly ? softq_H5F_ACC_RDONLY() : softq_H5F_ACC_RDWR()
            let fid = H5Fopen(path, flags, softq_H5P_DEFAULT())
            if fid < 0 {
                throw HDF5Error.fromStack(.openFailed, file: path, detail: "the HDF5 file is damaged or truncated")
            }
            id = fid
        case .truncate, .exclusive:
            let fapl = H5Pcreate(softq_H5P_FILE_ACCESS())
            defer { H5Pclose(fapl) }
            if alignment > 1 { H5Pset_alignment(fapl, 1, hsize_t(alignment)) }
            let flags = mode == .truncate ? softq_H5F_ACC_TRUNC() : softq_H5F_ACC_EXCL()
            let fid = H5Fcreate(path, flags, softq_H5P_DEFAULT(), fapl)
            if fid < 0 {
                let exists = FileManager.default.fileExists(atPath: path)
                throw HDF5Error.fromStack(.createFailed, file: path,
                                          detail: mode == .exclusive && exists ? "the file exists" : "")
            }
            id = fid
        }
    }

    deinit { if !closed { H5Fclose(id) } }

    private var closed = false

    /// Writes everything still buffered and closes the file, reporting failure (a full disk,
    /// an I/O error) as `.writeFailed`. Writers must call this before they consider a file
    /// written: `deinit` also closes, but cannot report. Objects opened from this file
    /// (groups, datasets) should be released first; HDF5 keeps the file open until they are.
    /// Calling it twice is harmless.
    public func close() throws {
        lock.lock()
        defer { lock.unlock() }
        if closed { return }
        closed = true
        if mode != .readOnly, H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 {
            let e = HDF5Error.fromStack(.writeFailed, file: path, detail: "flush before close")
            H5Fclose(id)
            _ = HDF5Library.takeErrorStack()
            throw e
        }
        if H5Fclose(id) < 0 { throw HDF5Error.fromStack(.writeFailed, file: path, detail: "close") }
    }

    /// The root group.
    public var root: H5Group { H5Group(file: self, id: nil, path: "/") }

    /// Attributes of the root group.
    public var attributes: H5Attributes { root.attributes }

    /// Opens a dataset by path ("weights/x" or "/weights/x").
    public func dataset(_ path: String) throws -> H5Dataset { try root.dataset(path) }
    public func group(_ path: String) throws -> H5Group { try root.group(path) }
    public func contains(_ path: String) -> Bool { root.contains(path) }

    /// Flushes buffered writes to disk.
    public func flush() throws {
        if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 { throw HDF5Error.fromStack(.writeFailed, file: path, detail: "flush") }
    }

    /// A read-only memory mapping of the whole file, made on first use; nil when mapping is
    /// impossible (then readers fall back to H5Dread without the caller noticing).
    func sharedMapping() -> FileMapping? {
        lock.lock()
        defer { lock.unlock() }
        if !mappingTried {
            mappingTried = true
            if mode == .readOnly { mapping = FileMapping(path: path) }
        }
        return mapping
    }
}

/// A read-only `mmap` of a file. Tensors that view it keep it alive.
/// `@unchecked Sendable`: immutable after init, and the pages are PROT_READ.
final class FileMapping: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int

    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        self.base = UnsafeRawPointer(p)
        self.size = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

enum HDF5Signature {
    static let bytes: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether the HDF5 signature sits at offset 0, 512, 1024, … (user-block sizes).
    static func present(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        var offset: UInt64 = 0
        while offset <= 1 << 20 {
            do {
                try h.seek(toOffset: offset)
                guard let d = try h.read(upToCount: 8), d.count == 8 else { return false }
                if Array(d) == bytes { return true }
            } catch { return false }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}
