import CHDF5
import Foundation

/// A dataset, used like an array: `shape`, `elementType`, `read(as:)`, hyperslab reads,
/// strings, and zero-copy mapped views of contiguous data.
public final class H5Dataset: @unchecked Sendable {
    public let file: H5File
    public let path: String
    public let shape: [Int]
    public let elementType: H5ElementType
    let id: hid_t

    init(file: H5File, id: hid_t, path: String) throws {
        self.file = file
        self.id = id
        self.path = path
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 0))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        shape = dims.map { Int($0) }
        let t = H5Dget_type(id)
        defer { H5Tclose(t) }
        elementType = H5ElementType.classify(t)
    }

    deinit { H5Dclose(id) }

    public var count: Int { shape.reduce(1, *) }
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

    /// Reads the whole dataset in its stored element type into `buffer` (count × size bytes).
    public func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws {
        let size = try requireNumeric()
        guard buffer.count >= count * size else { throw HDF5Error(.shapeMismatch, file: file.path, object: path, detail: "buffer too small") }
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
        let n = counts.reduce(1, *)
        var out = [T](repeating: T(), count: n)
        if n == 0 { return out }
        guard let mtype = T.h5ElementType.memoryType() else { throw HDF5Error(.unsupportedType, file: file.path, object: path) }
        defer { H5Tclose(mtype) }
        let fspace = H5Dget_space(id)
        defer { H5Sclose(fspace) }
        let hs = start.map { hsize_t($0) }, hc = counts.map { hsize_t($0) }
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, hs, nil, hc, nil)
        let mspace = H5Screate_simple(Int32(hc.count), hc, nil)
        defer { H5Sclose(mspace) }
        let st = out.withUnsafeMutableBytes { H5Dread(id, mtype, mspace, fspace, softq_H5P_DEFAULT(), $0.baseAddress) }
        if st < 0 { throw error(.readFailed) }
        return out
    }

    /// Reads a string dataset (fixed- or variable-length; fixed ones lose trailing NULs/spaces padding).
    public func readStrings() throws -> [String] {
        guard case .string(let fixed) = elementType else {
            throw HDF5Error(.unsupportedType, file: file.path, object: path, detail: "expected strings, found \(elementType)")
        }
        let n = count
        if n == 0 { return [] }
        let ftype = H5Dget_type(id)
        defer { H5Tclose(ftype) }
        let mtype = H5ElementType.stringMemoryType(matching: ftype)
        defer { H5Tclose(mtype) }
        if let size = fixed {
            var buf = [UInt8](repeating: 0, count: n * size)
            if H5Dread(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), &buf) < 0 { throw error(.readFailed) }
            return (0..<n).map { k in
                var slice = Array(buf[(k * size)..<((k + 1) * size)])
                while let last = slice.last, last == 0 { slice.removeLast() }
                return String(decoding: slice, as: UTF8.self)
            }
        }
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        if H5Dread(id, mtype, softq_H5S_ALL(), softq_H5S_ALL(), softq_H5P_DEFAULT(), &ptrs) < 0 { throw error(.readFailed) }
        let out = ptrs.map { $0.map { String(cString: $0) } ?? "" }
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        _ = softq_vlen_reclaim(mtype, space, &ptrs)
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
