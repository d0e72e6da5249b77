import CHDF5

/// What went wrong in an HDF5 call, with the file and object it concerned and HDF5's own
/// error stack (innermost last), so the user sees *which* file and *which* tensor.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case notHDF5 = "not an HDF5 file"
        case openFailed = "cannot open"
        case createFailed = "cannot create"
        case notFound = "not found"
        case wrongKind = "wrong kind of object"
        case unsupportedType = "unsupported element type"
        case shapeMismatch = "shape mismatch"
        case readFailed = "read failed"
        case writeFailed = "write failed"
        case closed = "handle closed"
        /// The file points elsewhere (external storage, external/soft links, virtual datasets).
        case refused = "refused"
        /// A declared size the file cannot back, or one that does not fit in memory arithmetic.
        case tooLarge = "size not backed by the file"
        /// A value HDF5 cannot store losslessly (a NUL inside a variable-length string).
        case invalidValue = "value cannot be stored"
    }

    public let kind: Kind
    public let file: String
    public let object: String
    public let detail: String
    /// HDF5's own error stack text, when the failure came from the library.
    public let stack: String

    public init(_ kind: Kind, file: String, object: String = "", detail: String = "", stack: String = "") {
        self.kind = kind
        self.file = file
        self.object = object
        self.detail = detail
        self.stack = stack
    }

    public var description: String {
        var s = "\(file)"
        if !object.isEmpty { s += ": \(object)" }
        s += ": \(kind.rawValue)"
        if !detail.isEmpty { s += ": \(detail)" }
        if !stack.isEmpty { s += " [HDF5: \(stack)]" }
        return s
    }

    /// Builds an error from the library's current error stack (and clears it).
    static func fromStack(_ kind: Kind, file: String, object: String = "", detail: String = "") -> HDF5Error {
        HDF5Error(kind, file: file, object: object, detail: detail, stack: HDF5Library.takeErrorStack())
    }
}

/// Process-wide library set-up, done once before the first call:
/// - HDF5's automatic error printing to stderr is off: errors are reported through `HDF5Error`.
/// - HDF5's own exit handler is off (`H5dont_atexit`, which must precede `H5open`). After a
///   failed write (a full disk), `H5Fclose` fails and leaves the file open with dirty metadata;
///   libhdf5 1.10's exit handler then dereferences that state and segfaults (measured: exit
///   139 on a full 64 KiB tmpfs). softq closes every file itself and reports the failure, so
///   there is nothing left for the handler to do.
enum HDF5Library {
    static let initialized: Bool = {
        H5dont_atexit()
        H5open()
        softq_disable_error_printing()
        return true
    }()

    static func ensure() { _ = initialized }

    /// Whether libhdf5 was built thread-safe (one global lock around every call): the
    /// `Sendable` conformances of `H5File`, `H5Group` and `H5Dataset` rely on it.
    static var isThreadSafe: Bool {
        var threadSafe: hbool_t = false
        return H5is_library_threadsafe(&threadSafe) >= 0 && threadSafe
    }

    static func takeErrorStack() -> String {
        var buf = [CChar](repeating: 0, count: 2048)
        softq_error_stack_text(&buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
