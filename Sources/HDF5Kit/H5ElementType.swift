import CHDF5

/// The element types softq reads and writes. bfloat16 has no HDF5 type: it is stored as
/// uint16 with the dataset attribute `dtype = "bfloat16"` (docs/spec/checkpoint-format.md).
public enum H5ElementType: Equatable, Sendable, CustomStringConvertible {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    /// Fixed-length (size in bytes) or variable-length (nil) strings.
    case string(fixedLength: Int?)
    /// Anything else (compound, enum, …), described for error messages.
    case other(String)

    public var description: String {
        switch self {
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .string(let n): return n.map { "string[\($0)]" } ?? "string"
        case .other(let s): return s
        }
    }

    public var byteSize: Int? {
        switch self {
        case .float16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        case .int8, .uint8: return 1
        case .string(let n): return n
        case .other: return nil
        }
    }

    /// Classifies an HDF5 datatype. Only little-endian numeric types map to the numeric
    /// cases, because the memory-mapped path reinterprets file bytes directly.
    static func classify(_ type: hid_t) -> H5ElementType {
        let cls = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch cls {
        case H5T_FLOAT:
            let littleEndian = H5Tget_order(type) == H5T_ORDER_LE
            switch (size, littleEndian) {
            case (2, true): return .float16
            case (4, true): return .float32
            case (8, true): return .float64
            default: return .other("float\(size * 8)\(littleEndian ? "" : " big-endian")")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            guard H5Tget_order(type) == H5T_ORDER_LE else { return .other("big-endian int\(size * 8)") }
            switch (size, signed) {
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            case (2, false): return .uint16
            case (4, false): return .uint32
            case (8, false): return .uint64
            default: return .other("int\(size * 8)")
            }
        case H5T_STRING:
            return H5Tis_variable_str(type) > 0 ? .string(fixedLength: nil) : .string(fixedLength: size)
        case H5T_COMPOUND: return .other("compound")
        case H5T_ENUM: return .other("enum")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("vlen")
        case H5T_OPAQUE: return .other("opaque")
        default: return .other("class \(cls.rawValue)")
        }
    }

    /// The native memory type for reading/writing this element type (caller closes copies).
    func memoryType() -> hid_t? {
        switch self {
        case .float16:
            // A little-endian IEEE half built from the float32 type: 1 sign, 5 exponent, 10 mantissa.
            let t = H5Tcopy(softq_H5T_NATIVE_FLOAT())
            H5Tset_fields(t, 15, 10, 5, 0, 10)
            H5Tset_size(t, 2)
            H5Tset_ebias(t, 15)
            return t
        case .float32: return H5Tcopy(softq_H5T_NATIVE_FLOAT())
        case .float64: return H5Tcopy(softq_H5T_NATIVE_DOUBLE())
        case .int8: return H5Tcopy(softq_H5T_NATIVE_INT8())
        case .int16: return H5Tcopy(softq_H5T_NATIVE_INT16())
        case .int32: return H5Tcopy(softq_H5T_NATIVE_INT32())
        case .int64: return H5Tcopy(softq_H5T_NATIVE_INT64())
        case .uint8: return H5Tcopy(softq_H5T_NATIVE_UINT8())
        case .uint16: return H5Tcopy(softq_H5T_NATIVE_UINT16())
        case .uint32: return H5Tcopy(softq_H5T_NATIVE_UINT32())
        case .uint64: return H5Tcopy(softq_H5T_NATIVE_UINT64())
        case .string(let n):
            let t = H5Tcopy(softq_H5T_C_S1())
            H5Tset_size(t, n ?? softq_H5T_VARIABLE())
            H5Tset_cset(t, H5T_CSET_UTF8)
            return t
        case .other: return nil
        }
    }
}

extension H5ElementType {
    /// A memory type for reading strings stored with `fileType`: same length kind and cset.
    static func stringMemoryType(matching fileType: hid_t) -> hid_t {
        if H5Tis_variable_str(fileType) > 0 {
            let t = H5Tcopy(softq_H5T_C_S1())
            H5Tset_size(t, softq_H5T_VARIABLE())
            H5Tset_cset(t, H5Tget_cset(fileType))
            return t
        }
        return H5Tcopy(fileType)
    }
}

/// Swift scalar types that map one-to-one to an HDF5 numeric element type.
public protocol H5Scalar {
    static var h5ElementType: H5ElementType { get }
    init()
}
extension Float: H5Scalar { public static var h5ElementType: H5ElementType { .float32 } }
extension Double: H5Scalar { public static var h5ElementType: H5ElementType { .float64 } }
extension Int8: H5Scalar { public static var h5ElementType: H5ElementType { .int8 } }
extension Int16: H5Scalar { public static var h5ElementType: H5ElementType { .int16 } }
extension Int32: H5Scalar { public static var h5ElementType: H5ElementType { .int32 } }
extension Int64: H5Scalar { public static var h5ElementType: H5ElementType { .int64 } }
extension UInt8: H5Scalar { public static var h5ElementType: H5ElementType { .uint8 } }
extension UInt16: H5Scalar { public static var h5ElementType: H5ElementType { .uint16 } }
extension UInt32: H5Scalar { public static var h5ElementType: H5ElementType { .uint32 } }
extension UInt64: H5Scalar { public static var h5ElementType: H5ElementType { .uint64 } }
