import CHDF5
import Foundation

/// A dataset, used like an array: `shape`, `elementType`, `read(as:)`, hyperslab reads,
/// strings, and zero-copy mapped views of contiguous data.
/// `@unchecked Sendable`: libhdf5 is built thread-safe (H5_HAVE_THREADSAFE: one global lock
/// around every call) and every stored property is a `let`.
public final class H5Dataset: @unchecked Sendable {
    public let file: H5File
    public let path: String
    public let shape: [Int]
    public let elementType: H5ElementType
    /// Bytes per element as HDF5 reports them (a pointer for variable-length strings).
    let elementSize: Int
    let id: hid_t

    /// Takes ownership of `id` (closed here if the dataset is refused). Datasets whose bytes
    /// live outside this file — external storage or a virtual dataset — are refused: a file
    /// read by softq is data, never a pointer elsewhere.
    init(file: H5File, id: hid_t, path: String) throws {
        let described: (shape: [Int], count: Int, type: H5ElementType, elementSize: Int)
        do {
            described = try H5Dataset.describe(id, file: file.path, path: path)
        } catch {
            H5Dclose(id)
            throw error
        }
        self.file = file
        self.id = id
        self.path = path
        self.shape = described.shape
        self.count = described.count
        self.elementType = described.type
        self.elementSize = described.elementSize
    }

    private static func describe(_ id: hid_t, file: String, path: String) throws -> ([Int], Int, H5ElementType, Int) {
        let dcpl = H5Dget_create_plist(id)
        if dcpl < 0 { throw HDF5Error.fromStack(.openFailed, file: file, object: path, detail: "no creation property list") }
        defer { H5Pclose(dcpl) }
        if H5Pget_layout(dcpl) == H5D_VIRTUAL {
            throw HDF5Error(.refused, file: file, object: path,
                            detail: "a virtual dataset (its data is mapped from other datasets or files); softq reads only data stored in the file itself")
        }
        let externalCount = H5Pget_external_count(dcpl)
        if externalCount != 0 {
            var name = [CChar](repeating: 0, count: 512)
            var offset: off_t = 0
            var size: hsize_t = 0
            let target = H5Pget_external(dcpl, 0, name.count, &name, &offset, &size) >= 0
                ? "'\(String(cString: name))'" : "another file"
            _ = HDF5Library.takeErrorStack()
            throw HDF5Error(.refused, file: file, object: path,
                            detail: "its data is stored in the external file \(target) (\(max(externalCount, 1)) external segment(s)); softq reads only data stored in the file itself")
        }
        let space = H5Dget_space(id)
        if space < 0 { throw HDF5Error.fromStack(.openFailed, file: file, object: path, detail: "no dataspace") }
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        if rank < 0 { throw HDF5Error.fromStack(.openFailed, file: file, object: path, detail: "unreadable dataspace") }
        var dims = [hsize_t](repeating: 0, count: rank)
        if rank > 0, H5Sget_simple_extent_dims(space, &dims, nil) < 0 {
            throw HDF5Error.fromStack(.openFailed, file: file, object: path, detail: "unreadable dataspace")
        }
        // Every later size computation (counts, byte sizes, allocations) relies on these fitting Int.
        var count = 1
        for d in dims {
            guard let di = Int(exactly: d) else {
                throw HDF5Error(.tooLarge, file: file, object: path, detail: "a dimension of \(d) elements")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: di)
            if overflow {
                throw HDF5Error(.tooLarge, file: file, object: path,
                                detail: "shape \(dims) has more elements than a 64-bit count can hold")
            }
            count = product
        }
        let t = H5Dget_type(id)
        if t < 0 { throw HDF5Error.fromStack(.openFailed, file: file, object: path, detail: "no datatype") }
        defer { H5Tclose(t) }
        return (dims.map { Int($0) }, count, H5ElementType.classify(t), H5Tget_size(t))
    }

    deinit { H5Dclose(id) }

    /// The number of elements (1 for a scalar); never overflows (checked at open).
    public let count: Int
    public var attributes: H5Attributes { H5Attributes(file: file, objectID: id, objectPath: path, owner: self) }

    /// Whether the data is stored in one contiguous, unfiltered block.
    public var isContiguous: Bool {
        let dcpl = H5Dget_create_plist(id)
        defer { H5Pclose(dcpl) }
        return H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_nfilters(dcpl) == 0
    }

    /// The byte offset of contiguous data in the file, or nil (chunked, compressed,
    /// unallocated, or in a file driver without offsets).
    public var fileOffset: Int? {
        guard isContiguous else { return nil }
        let off = H5Dget_offset(id)
        if off == softq_HADDR_UNDEF() { _ = HDF5Library.takeErrorStack(); return nil }
        return Int(off)
    }

    /// A read-only view of the data in the file's memory mapping, or nil when the dataset
    /// cannot be mapped (the caller then reads with `read`). Bit-identical to `H5Dread` for
    /// little-endian numeric types. `owner` must be kept alive while the pointer is used.
    public func mappedBytes() -> (pointer: UnsafeRawPointer, byteCount: Int, owner: AnyObject)? {
        guard let size = elementType.byteSize, !elementType.isString,
              let off = fileOffset, let map = file.sharedMapping() else { return nil }
        let bytes = count * size
        guard off >= 0, off + bytes <= map.size else { return nil }
        return (UnsafeRawPointer(map.base + off), bytes, map)
    }

    private func error(_ kind: HDF5Error.Kind, _ detail: String = "") -> HDF5Error {
        HDF5Error.fromStack(kind, file: file.path, object: path, detail: detail)
    }

    private func requireNumeric() throws -> Int {
        guard let size = elementType.byteSize, !elementType.isString else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "expected numbers, found \(elementType)")
        }
        return size
    }

    /// The largest ratio of declared to stored bytes accepted for filtered (compressed) data:
    /// deflate's theoretical maximum, 1032:1, the only compressor libhdf5 always has.
    public static let maximumCompressionRatio = 1032

    /// Throws `.tooLarge` unless the bytes this dataset declares (elements × element size) are
    /// backed by bytes stored in the file: all of them for contiguous or compact data, at least
    /// 1/`maximumCompressionRatio` of them for chunked or filtered data. Dataspaces and
    /// datatypes are a few bytes of metadata that can declare terabytes; checking them against
    /// what is stored before any allocation keeps a hostile or damaged file from exhausting
    /// memory. Every read below calls this first.
    public func checkStoredSize() throws {
        let (declared, overflow) = count.multipliedReportingOverflow(by: max(elementSize, 1))
        if overflow {
            throw HDF5Error(.tooLarge, file: file.path, object: path,
                            detail: "shape \(shape) of \(elementSize)-byte elements exceeds any addressable size")
        }
        if declared == 0 { return }
        let stored = Int(clamping: H5Dget_storage_size(id))
        let dcpl = H5Dget_create_plist(id)
        if dcpl < 0 { throw error(.readFailed, "no creation property list") }
        defer { H5Pclose(dcpl) }
        let filtered = H5Pget_layout(dcpl) == H5D_CHUNKED || H5Pget_nfilters(dcpl) > 0
        let (reach, reachOverflow) = stored.multipliedReportingOverflow(by: filtered ? H5Dataset.maximumCompressionRatio : 1)
        if !reachOverflow && declared > reach {
            throw HDF5Error(.tooLarge, file: file.path, object: path,
                            detail: "shape \(shape) declares \(declared) bytes but the file stores \(stored) bytes for it"
                                + (filtered ? " (more than \(H5Dataset.maximumCompressionRatio):1 compression)" : "")
                                + "; the dataset was never written or the file is damaged")
        }
        if let offset = fileOffset {
            var fileSize: hsize_t = 0
            if H5Fget_filesize(file.id, &fileSize) >= 0, offset > Int(clamping: fileSize) - declared {
                throw HDF5Error(.tooLarge, file: file.path, object: path,
                                detail: "\(declared) bytes at offset \(offset) run past the end of the \(fileSize)-byte file (truncated?)")
            }
            _ = HDF5Library.takeErrorStack()
        }
    }

    /// Reads the whole dataset in its stored element type into `buffer` (count × size bytes).
    public func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws {
        let size = try requireNumeric()
        guard buffer.count >= count * size else { throw HDF5Error(.shapeMismatch, file: file.path, object: path, detail: "buffer too small") }
        try checkStoredSize()
        guard let mtype = elementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "\(elementType)") }
        defer { H5Tclose(mtype) }
        if count == 0 { return }
        if H5Dread(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), buffer.baseAddress) < 0 {
            throw error(.readFailed)
        }
    }

    /// Reads the whole dataset as `T`, letting HDF5 convert between numeric types
    /// (float16 is read raw and converted by the caller; use `readRaw` for it).
    public func read<T: H5Scalar>(as: T.Type = T.self) throws -> [T] {
        _ = try requireNumeric()
        guard elementType != .float16 else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "float16: read raw and convert")
        }
        try checkStoredSize()
        var out = [T](repeating: T(), count: count)
        if count == 0 { return out }
        guard let mtype = T.h5ElementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path) }
        defer { H5Tclose(mtype) }
        let st = out.withUnsafeMutableBytes { H5Dread(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), $0.baseAddress) }
        if st < 0 { throw error(.readFailed) }
        return out
    }

    /// Reads the block `start ..< start+count` (per dimension) as `T`.
    public func read<T: H5Scalar>(as: T.Type = T.self, start: [Int], count counts: [Int]) throws -> [T] {
        _ = try requireNumeric()
        guard start.count == shape.count, counts.count == shape.count,
              zip(zip(start, counts), shape).allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= $1 }) else {
            throw HDF5Error(.shapeMismatch, file: file.path, object: path, detail: "hyperslab start \(start) count \(counts) outside shape \(shape)")
        }
        try checkStoredSize()
        let n = counts.reduce(1, *)
        var out = [T](repeating: T(), count: n)
        if n == 0 { return out }
        guard let mtype = T.h5ElementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path) }
        defer { H5Tclose(mtype) }
        let (fspace, mspace) = try selection(start: start, count: counts)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        let st = out.withUnsafeMutableBytes { H5Dread(id, mtype, mspace, fspace, softq_H5P_DEFAULT(), $0.baseAddress) }
        if st < 0 { throw error(.readFailed) }
        return out
    }

    /// The file dataspace with the block `start ..< start+count` selected, and a memory
    /// dataspace of the block's shape (a scalar for a 0-rank dataset). The caller closes both.
    private func selection(start: [Int], count counts: [Int]) throws -> (file: hid_t, memory: hid_t) {
        let fspace = H5Dget_space(id)
        if fspace < 0 { throw error(.readFailed, "no dataspace") }
        if counts.isEmpty {
            let mspace = H5Screate(H5S_SCALAR)
            if mspace < 0 { H5Sclose(fspace); throw error(.readFailed, "cannot make a scalar dataspace") }
            return (fspace, mspace)
        }
        let hs = start.map { hsize_t($0) }, hc = counts.map { hsize_t($0) }
        if H5Sselect_hyperslab(fspace, H5S_SELECT_SET, hs, nil, hc, nil) < 0 {
            H5Sclose(fspace)
            throw error(.readFailed, "cannot select start \(start) count \(counts)")
        }
        let mspace = H5Screate_simple(Int32(hc.count), hc, nil)
        if mspace < 0 {
            H5Sclose(fspace)
            throw error(.readFailed, "cannot make a dataspace of shape \(counts)")
        }
        return (fspace, mspace)
    }

    /// Reads a string dataset, all elements in row-major order. Fixed-length strings lose their
    /// trailing NUL padding (trailing spaces are kept: they may be content); variable-length
    /// strings end at their first NUL, as C strings do.
    public func readStrings() throws -> [String] {
        let fixed = try requireStrings()
        try checkStoredSize()
        if count == 0 { return [] }
        return try readStrings(fixed: fixed, count: count, fileSpace: softq_H5S_ALL(), memorySpace: softq_H5S_ALL())
    }

    /// The first string of a string dataset (a scalar's only one), reading that element alone:
    /// a file that declares 10^9 strings costs one string, not 10^9 pointers. nil when empty.
    public func readFirstString() throws -> String? {
        let fixed = try requireStrings()
        try checkStoredSize()
        if count == 0 { return nil }
        let (fspace, mspace) = try selection(start: shape.map { _ in 0 }, count: shape.map { _ in 1 })
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        return try readStrings(fixed: fixed, count: 1, fileSpace: fspace, memorySpace: mspace).first
    }

    private func requireStrings() throws -> Int? {
        guard case .string(let fixed) = elementType else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "expected strings, found \(elementType)")
        }
        return fixed
    }

    private func readStrings(fixed: Int?, count n: Int, fileSpace: hid_t, memorySpace: hid_t) throws -> [String] {
        let ftype = H5Dget_type(id)
        if ftype < 0 { throw error(.readFailed, "no datatype") }
        defer { H5Tclose(ftype) }
        let mtype = H5ElementType.stringMemoryType(matching: ftype)
        defer { H5Tclose(mtype) }
        if let size = fixed {
            var buf = [UInt8](repeating: 0, count: n * size)
            if H5Dread(id, mtype, memorySpace, fileSpace, softq_H5P_DEFAULT(), &buf) < 0 { throw error(.readFailed) }
            return (0..<n).map { k in
                var slice = Array(buf[(k * size)..<((k + 1) * size)])
                while let last = slice.last, last == 0 { slice.removeLast() }
                return String(decoding: slice, as: UTF8.self)
            }
        }
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        if H5Dread(id, mtype, memorySpace, fileSpace, softq_H5P_DEFAULT(), &ptrs) < 0 { throw error(.readFailed) }
        let out = ptrs.map { $0.map { String(cString: $0) } ?? "" }
        // Reclaim through a memory-shaped space: the pointers HDF5 allocated are exactly `n`.
        var dims = [hsize_t(n)]
        let space = H5Screate_simple(1, &dims, nil)
        if space >= 0 {
            _ = softq_vlen_reclaim(mtype, space, &ptrs)
            H5Sclose(space)
        }
        return out
    }

    /// Writes the whole dataset from raw bytes in its element type.
    public func writeRaw(_ bytes: UnsafeRawBufferPointer) throws {
        let size = try requireNumeric()
        guard bytes.count == count * size else {
            throw HDF5Error(.shapeMismatch, file: file.path, object: path, detail: "\(bytes.count) bytes for \(count) × \(size)")
        }
        guard let mtype = elementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path) }
        defer { H5Tclose(mtype) }
        if count == 0 { return }
        if H5Dwrite(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), bytes.baseAddress) < 0 { throw error(.writeFailed) }
    }

    public func write<T: H5Scalar>(_ values: [T]) throws {
        guard T.h5ElementType == elementType else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "writing \(T.h5ElementType) into \(elementType)")
        }
        try values.withUnsafeBytes { try writeRaw($0) }
    }

    public func writeStrings(_ values: [String]) throws {
        guard case .string(nil) = elementType else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "writeStrings needs a variable-length string dataset")
        }
        // `count` is 1 for a scalar (shape []) and 0 for an empty dataset (shape [0]).
        guard values.count == count else {
            throw HDF5Error(.shapeMismatch, file: file.path, object: path, detail: "\(values.count) strings for shape \(shape)")
        }
        if values.isEmpty { return }
        try H5Strings.checkStorable(values, file: file.path, object: path)
        guard let mtype = elementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path) }
        defer { H5Tclose(mtype) }
        // Keep the C strings alive for the duration of the write.
        let cstrings = values.map { strdup($0) }
        defer { cstrings.forEach { free($0) } }
        var ptrs = cstrings.map { UnsafePointer<CChar>($0) }
        if H5Dwrite(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), &ptrs) < 0 { throw error(.writeFailed) }
    }
}

extension H5ElementType {
    var isString: Bool { if case .string = self { return true }; return false }
}
