import CHDF5
import Foundation

/// Attributes of a group or dataset, like h5py's `.attrs`: read scalars, arrays and strings
/// (fixed- or variable-length); write ints, doubles, strings (variable-length UTF-8, as h5py
/// writes `str`) and arrays of them.
public struct H5Attributes {
    let file: H5File
    let objectID: hid_t
    let objectPath: String
    /// The group or dataset object that owns `objectID`, kept alive while attributes are used.
    let owner: AnyObject?

    public enum Value: Equatable, Sendable {
        case int(Int)
        case double(Double)
        case string(String)
        case ints([Int])
        case doubles([Double])
        case strings([String])

        public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
        public var intValue: Int? {
            switch self {
            case .int(let i): return i
            case .ints(let a) where a.count == 1: return a[0]
            case .double(let d) where d == d.rounded(): return Int(exactly: d)
            default: return nil
            }
        }
        /// The value's type and a short preview, for error messages ("a string \"1\"").
        public var summary: String {
            switch self {
            case .int(let i): return "an integer \(i)"
            case .double(let d): return "a float \(d)"
            case .string(let s): return "a string \(H5Strings.preview(s))"
            case .ints(let a): return "an array of \(a.count) integers"
            case .doubles(let a): return "an array of \(a.count) floats"
            case .strings(let a): return "an array of \(a.count) strings"
            }
        }
        public var doubleValue: Double? {
            switch self {
            case .double(let d): return d
            case .int(let i): return Double(i)
            case .doubles(let a) where a.count == 1: return a[0]
            default: return nil
            }
        }
    }

    private func err(_ kind: HDF5Error.Kind, _ name: String, _ detail: String = "") -> HDF5Error {
        HDF5Error.fromStack(kind, file: file.path, object: "\(objectPath) attribute '\(name)'", detail: detail)
    }

    /// Attribute names in name order.
    public var names: [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        var idx: hsize_t = 0
        _ = H5Aiterate2(objectID, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue().names.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        _ = HDF5Library.takeErrorStack()
        return box.names
    }

    public func contains(_ name: String) -> Bool {
        let r = H5Aexists(objectID, name)
        if r < 0 { _ = HDF5Library.takeErrorStack() }
        return r > 0
    }

    /// The attribute, or nil when it is absent *or unreadable*; use `read(_:)` to learn why.
    public subscript(name: String) -> Value? { try? read(name) }

    public func read(_ name: String) throws -> Value {
        guard contains(name) else { throw HDF5Error(.notFound, file: file.path, object: "\(objectPath) attribute '\(name)'") }
        let aid = H5Aopen(objectID, name, softq_H5P_DEFAULT())
        if aid < 0 { throw err(.openFailed, name) }
        defer { H5Aclose(aid) }
        let type = H5Aget_type(aid)
        defer { H5Tclose(type) }
        let space = H5Aget_space(aid)
        defer { H5Sclose(space) }
        if type < 0 || space < 0 { throw err(.readFailed, name, "no datatype or dataspace") }
        let n = Int(H5Sget_simple_extent_npoints(space))
        if n < 0 { throw err(.readFailed, name, "unreadable dataspace") }
        // Attribute data lives in the object header, so every element occupies stored bytes; a
        // count the file cannot hold is damage, refused before the buffers below are allocated.
        var fileSize: hsize_t = 0
        if H5Fget_filesize(file.id, &fileSize) >= 0, n > Int(clamping: fileSize) / max(H5Tget_size(type), 1) {
            throw HDF5Error(.tooLarge, file: file.path, object: "\(objectPath) attribute '\(name)'",
                            detail: "\(n) elements of \(H5Tget_size(type)) bytes declared in a \(fileSize)-byte file")
        }
        let isScalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        let et = H5ElementType.classify(type)
        switch et {
        case .string(let fixed):
            // Read strings in the file's own character set (ASCII or UTF-8): HDF5 refuses to
            // convert between the two.
            let mtype = H5ElementType.stringMemoryType(matching: type)
            defer { H5Tclose(mtype) }
            var strings: [String]
            if let size = fixed {
                var buf = [UInt8](repeating: 0, count: max(n, 1) * size)
                if H5Aread(aid, mtype, &buf) < 0 { throw err(.readFailed, name) }
                strings = (0..<n).map { k in
                    var s = Array(buf[(k * size)..<((k + 1) * size)])
                    while let l = s.last, l == 0 { s.removeLast() }
                    return String(decoding: s, as: UTF8.self)
                }
            } else {
                var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(n, 1))
                if H5Aread(aid, mtype, &ptrs) < 0 { throw err(.readFailed, name) }
                strings = ptrs.prefix(n).map { $0.map { String(cString: $0) } ?? "" }
                _ = softq_vlen_reclaim(mtype, space, &ptrs)
            }
            return isScalar ? .string(strings.first ?? "") : .strings(strings)
        case .float16, .float32, .float64:
            var vals = [Double](repeating: 0, count: max(n, 1))
            if H5Aread(aid, softq_H5T_NATIVE_DOUBLE(), &vals) < 0 { throw err(.readFailed, name) }
            return isScalar ? .double(vals[0]) : .doubles(Array(vals.prefix(n)))
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64:
            var vals = [Int64](repeating: 0, count: max(n, 1))
            if H5Aread(aid, softq_H5T_NATIVE_INT64(), &vals) < 0 { throw err(.readFailed, name) }
            return isScalar ? .int(Int(vals[0])) : .ints(vals.prefix(n).map { Int($0) })
        case .other(let d):
            if H5Tget_class(type) == H5T_ENUM, H5Tget_size(type) == 1 {
                // h5py stores numpy bools as a 1-byte enum (FALSE=0, TRUE=1).
                var v: Int8 = 0
                if H5Aread(aid, softq_H5T_NATIVE_INT8(), &v) >= 0 { return .int(Int(v)) }
            }
            throw HDF5Error(.unsupportedType, file: file.path, object: "\(objectPath) attribute '\(name)'", detail: d)
        }
    }

    /// Writes (or replaces) an attribute. Every HDF5 call's status is checked: a full disk or a
    /// read-only file surfaces as `.writeFailed` naming the attribute.
    public func write(_ name: String, _ value: Value) throws {
        switch value {
        case .string(let s): try H5Strings.checkStorable([s], file: file.path, object: "\(objectPath) attribute '\(name)'")
        case .strings(let a): try H5Strings.checkStorable(a, file: file.path, object: "\(objectPath) attribute '\(name)'")
        default: break
        }
        if contains(name), H5Adelete(objectID, name) < 0 { throw err(.writeFailed, name, "cannot replace the existing attribute") }
        let (et, dims): (H5ElementType, [hsize_t]?) = {
            switch value {
            case .int: return (.int64, nil)
            case .double: return (.float64, nil)
            case .string: return (.string(fixedLength: nil), nil)
            case .ints(let a): return (.int64, [hsize_t(a.count)])
            case .doubles(let a): return (.float64, [hsize_t(a.count)])
            case .strings(let a): return (.string(fixedLength: nil), [hsize_t(a.count)])
            }
        }()
        guard let mtype = et.memoryType() else { throw err(.unsupportedType, name) }
        defer { H5Tclose(mtype) }
        let space = dims.map { H5Screate_simple(1, $0, nil) } ?? H5Screate(H5S_SCALAR)
        if space < 0 { throw err(.writeFailed, name, "cannot make a dataspace") }
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, mtype, space, softq_H5P_DEFAULT(), softq_H5P_DEFAULT())
        if aid < 0 { throw err(.writeFailed, name) }
        defer { H5Aclose(aid) }
        var status: herr_t = 0
        switch value {
        case .int(let i): var v = Int64(i); status = H5Awrite(aid, mtype, &v)
        case .double(let d): var v = d; status = H5Awrite(aid, mtype, &v)
        case .ints(let a): var v = a.map { Int64($0) }; status = H5Awrite(aid, mtype, &v)
        case .doubles(let a): var v = a; status = H5Awrite(aid, mtype, &v)
        case .string(let s):
            let c = strdup(s)
            defer { free(c) }
            var p = UnsafePointer<CChar>(c)
            status = H5Awrite(aid, mtype, &p)
        case .strings(let a):
            let cs = a.map { strdup($0) }
            defer { cs.forEach { free($0) } }
            var ps = cs.map { UnsafePointer<CChar>($0) }
            status = H5Awrite(aid, mtype, &ps)
        }
        if status < 0 { throw err(.writeFailed, name) }
    }
}
