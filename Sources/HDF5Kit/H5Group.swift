import CHDF5

/// A group, used like a dictionary: `names`, `contains`, `dataset(_:)`, `group(_:)`,
/// nested paths (`"a/b/c"`), and `createGroup`/`createDataset`.
/// `@unchecked Sendable`: libhdf5 is built thread-safe (H5_HAVE_THREADSAFE: one global lock
/// around every call) and every stored property is a `let`.
public final class H5Group: @unchecked Sendable {
    public let file: H5File
    /// The absolute path of this group ("/" for the root).
    public let path: String
    private let ownedID: hid_t?

    init(file: H5File, id: hid_t?, path: String) {
        self.file = file
        self.ownedID = id
        self.path = path
    }

    deinit { if let id = ownedID { H5Gclose(id) } }

    var id: hid_t { ownedID ?? file.id }

    func absolute(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        return path == "/" ? "/" + name : path + "/" + name
    }

    public enum ObjectKind: Sendable { case group, dataset, other }

    /// The kind of object at `name` (relative or absolute), or nil if nothing is there.
    public func kind(of name: String) -> ObjectKind? {
        let full = absolute(name)
        // Check each link along the path exists before asking for the object (HDF5 errors on
        // missing intermediate groups).
        var prefix = ""
        for comp in full.split(separator: "/") {
            prefix += "/" + comp
            if H5Lexists(file.id, prefix, softq_H5P_DEFAULT()) <= 0 { _ = HDF5Library.takeErrorStack(); return nil }
        }
        var t = H5O_TYPE_UNKNOWN
        if softq_H5Oget_type_by_name(file.id, full, &t) < 0 { _ = HDF5Library.takeErrorStack(); return nil }
        switch t {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        default: return .other
        }
    }

    public func contains(_ name: String) -> Bool { kind(of: name) != nil }

    /// Names of the direct members, in HDF5's name order (deterministic).
    public var names: [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        var idx: hsize_t = 0
        _ = softq_H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            let b = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
            b.names.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        return box.names
    }

    /// Every dataset below this group, as paths relative to it ("a/b/x"), depth first in name order.
    public func datasetPaths() throws -> [String] {
        var out: [String] = []
        for n in names {
            switch kind(of: n) {
            case .dataset: out.append(n)
            case .group: out += try group(n).datasetPaths().map { n + "/" + $0 }
            default: break
            }
        }
        return out
    }

    public func group(_ name: String) throws -> H5Group {
        let full = absolute(name)
        guard let k = kind(of: name) else { throw HDF5Error(.notFound, file: file.path, object: full, detail: "no group here") }
        guard k == .group else { throw HDF5Error(.wrongKind, file: file.path, object: full, detail: "expected a group, found a dataset") }
        if full == "/" { return file.root }
        let gid = H5Gopen2(file.id, full, softq_H5P_DEFAULT())
        if gid < 0 { throw HDF5Error.fromStack(.openFailed, file: file.path, object: full) }
        return H5Group(file: file, id: gid, path: full)
    }

    public func dataset(_ name: String) throws -> H5Dataset {
        let full = absolute(name)
        guard let k = kind(of: name) else { throw HDF5Error(.notFound, file: file.path, object: full, detail: "no dataset here") }
        guard k == .dataset else { throw HDF5Error(.wrongKind, file: file.path, object: full, detail: "expected a dataset, found a group") }
        let did = H5Dopen2(file.id, full, softq_H5P_DEFAULT())
        if did < 0 { throw HDF5Error.fromStack(.openFailed, file: file.path, object: full) }
        return try H5Dataset(file: file, id: did, path: full)
    }

    /// Creates a group (and any missing parents), or returns the existing one.
    @discardableResult
    public func createGroup(_ name: String) throws -> H5Group {
        if let k = kind(of: name) {
            if k == .group { return try group(name) }
            throw HDF5Error(.wrongKind, file: file.path, object: absolute(name), detail: "a dataset exists here")
        }
        let lcpl = H5Pcreate(softq_H5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let gcpl = H5Pcreate(softq_H5P_GROUP_CREATE())
        defer { H5Pclose(gcpl) }
        H5Pset_obj_track_times(gcpl, false)
        let gid = H5Gcreate2(file.id, absolute(name), lcpl, gcpl, softq_H5P_DEFAULT())
        if gid < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: absolute(name)) }
        return H5Group(file: file, id: gid, path: absolute(name))
    }

    /// Creates a contiguous dataset (parents created as needed) and writes `values`.
    @discardableResult
    public func createDataset<T: H5Scalar>(_ name: String, shape: [Int], values: [T]) throws -> H5Dataset {
        guard values.count == shape.reduce(1, *) else {
            throw HDF5Error(.shapeMismatch, file: file.path, object: absolute(name),
                            detail: "\(values.count) values for shape \(shape)")
        }
        let ds = try createDataset(name, shape: shape, type: T.h5ElementType)
        try values.withUnsafeBytes { try ds.writeRaw($0) }
        return ds
    }

    /// Creates a contiguous dataset of strings (variable-length UTF-8, as h5py writes `str`).
    @discardableResult
    public func createStringDataset(_ name: String, values: [String], shape: [Int]? = nil) throws -> H5Dataset {
        let shape = shape ?? [values.count]
        let ds = try createDataset(name, shape: shape, type: .string(fixedLength: nil))
        try ds.writeStrings(values)
        return ds
    }

    /// A scalar (shape []) variable-length string dataset, like h5py's `f[name] = "text"`.
    @discardableResult
    public func createScalarString(_ name: String, value: String) throws -> H5Dataset {
        let ds = try createDataset(name, shape: [], type: .string(fixedLength: nil))
        try ds.writeStrings([value])
        return ds
    }

    /// Creates an empty contiguous dataset of the given type; write with `H5Dataset.write`.
    public func createDataset(_ name: String, shape: [Int], type: H5ElementType) throws -> H5Dataset {
        let full = absolute(name)
        if contains(name) { throw HDF5Error(.createFailed, file: file.path, object: full, detail: "an object with this name exists") }
        guard let mtype = type.memoryType() else {
            throw HDF5Error(.unsupportedType, file: file.path, object: full, detail: "\(type)")
        }
        defer { H5Tclose(mtype) }
        let dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let lcpl = H5Pcreate(softq_H5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let dcpl = H5Pcreate(softq_H5P_DATASET_CREATE())
        defer { H5Pclose(dcpl) }
        H5Pset_layout(dcpl, H5D_CONTIGUOUS)
        // No modification times in object headers: the same content gives the same bytes.
        H5Pset_obj_track_times(dcpl, false)
        // Allocate storage at creation so the offset (for memory mapping) is fixed and known.
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY)
        let did = H5Dcreate2(file.id, full, mtype, space, lcpl, dcpl, softq_H5P_DEFAULT())
        if did < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: full) }
        return try H5Dataset(file: file, id: did, path: full)
    }

    public var attributes: H5Attributes { H5Attributes(file: file, objectID: id, objectPath: path, owner: self) }
}
