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

    /// What a path leads to. Only hard links are followed: soft links, external links and
    /// user-defined links stop the resolution where they are (see `refusal`).
    enum Resolution {
        case missing
        case object(ObjectKind)
        /// A non-hard link at absolute path `at` (a prefix of the path asked for).
        case link(type: H5L_type_t, at: String, target: String)
    }

    /// Resolves `name` link by link from the root, without ever traversing a non-hard link:
    /// HDF5 would otherwise open another file for an external link (or a user-defined one)
    /// before softq could look at it.
    func resolve(_ name: String) -> Resolution {
        let full = absolute(name)
        var prefix = ""
        for comp in full.split(separator: "/") {
            prefix += "/" + comp
            if H5Lexists(file.id, prefix, softq_H5P_DEFAULT()) <= 0 { _ = HDF5Library.takeErrorStack(); return .missing }
            var type = H5L_TYPE_ERROR
            var target = [CChar](repeating: 0, count: 1024)
            if softq_link_type(file.id, prefix, &type, &target, target.count) < 0 { _ = HDF5Library.takeErrorStack(); return .missing }
            if type != H5L_TYPE_HARD { return .link(type: type, at: prefix, target: String(cString: target)) }
        }
        var t = H5O_TYPE_UNKNOWN
        if softq_H5Oget_type_by_name(file.id, full, &t) < 0 { _ = HDF5Library.takeErrorStack(); return .missing }
        switch t {
        case H5O_TYPE_GROUP: return .object(.group)
        case H5O_TYPE_DATASET: return .object(.dataset)
        default: return .object(.other)
        }
    }

    /// The error for a path that runs through a link softq does not follow. A file read by
    /// softq is data, never a pointer elsewhere: external and user-defined links could read
    /// any file on the machine; soft links stay inside the file but give one object several
    /// names (and can form cycles), so they are refused too and the file must store the object
    /// under the name it is used by.
    func refusal(type: H5L_type_t, at: String, target: String) -> HDF5Error {
        let what: String
        switch type {
        case H5L_TYPE_SOFT: what = "a soft link to '\(target)'; softq follows only hard links, so store the object under this name (or drop the link)"
        case H5L_TYPE_EXTERNAL: what = "an external link to '\(target)'; softq reads only objects stored in the file itself"
        default: what = "a user-defined link (type \(type.rawValue)); softq reads only objects stored in the file itself"
        }
        return HDF5Error(.refused, file: file.path, object: at, detail: what)
    }

    /// The kind of object at `name` (relative or absolute), or nil if nothing is there. A path
    /// through a soft, external or user-defined link is `.other` (it exists, but `dataset(_:)`
    /// and `group(_:)` refuse it).
    public func kind(of name: String) -> ObjectKind? {
        switch resolve(name) {
        case .missing: return nil
        case .object(let k): return k
        case .link: return .other
        }
    }

    public func contains(_ name: String) -> Bool { kind(of: name) != nil }

    /// Names of the direct members, in HDF5's name order (deterministic); empty if unreadable.
    public var names: [String] { (try? memberNames()) ?? [] }

    /// Names of the direct members, in HDF5's name order.
    public func memberNames() throws -> [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        var idx: hsize_t = 0
        let status = softq_H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            let b = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
            b.names.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        if status < 0 { throw HDF5Error.fromStack(.readFailed, file: file.path, object: path, detail: "cannot list the group's members") }
        return box.names
    }

    /// Every dataset below this group, as paths relative to it ("a/b/x"), depth first in name
    /// order, each object once (see `walk`).
    public func datasetPaths() throws -> [String] { try walk().datasets }

    /// The objects below this group, each visited once, depth first in name order.
    ///
    /// HDF5 objects are identified by their address, so a hard link back to an ancestor
    /// (`f["w"]["loop"] = f["w"]`) ends the walk there instead of looping forever, and a second
    /// hard link to a dataset is reported as an alias instead of being listed twice. A soft,
    /// external or user-defined link anywhere below throws `.refused` naming it.
    public func walk() throws -> H5Walk {
        var result = H5Walk()
        var visited: [H5ObjectKey: String] = [:]
        let start = try objectKey(path)
        visited[start.key] = ""
        try walk(group: path, relative: "", visited: &visited, into: &result)
        return result
    }

    private func objectKey(_ full: String) throws -> (key: H5ObjectKey, type: H5O_type_t) {
        var key = softq_object_key()
        var type = H5O_TYPE_UNKNOWN
        if softq_H5Oget_key_by_name(file.id, full, &type, &key) < 0 {
            throw HDF5Error.fromStack(.readFailed, file: file.path, object: full, detail: "cannot read the object header")
        }
        return (H5ObjectKey(key), type)
    }

    private func walk(group full: String, relative: String, visited: inout [H5ObjectKey: String], into result: inout H5Walk) throws {
        let members: [String]
        if full == path {
            members = try memberNames()
        } else {
            let gid = H5Gopen2(file.id, full, softq_H5P_DEFAULT())
            if gid < 0 { throw HDF5Error.fromStack(.openFailed, file: file.path, object: full) }
            members = try H5Group(file: file, id: gid, path: full).memberNames()
        }
        for n in members {
            let childFull = full == "/" ? "/" + n : full + "/" + n
            let childRel = relative.isEmpty ? n : relative + "/" + n
            var type = H5L_TYPE_ERROR
            var target = [CChar](repeating: 0, count: 1024)
            if softq_link_type(file.id, childFull, &type, &target, target.count) < 0 {
                throw HDF5Error.fromStack(.readFailed, file: file.path, object: childFull, detail: "cannot read the link")
            }
            if type != H5L_TYPE_HARD { throw refusal(type: type, at: childFull, target: String(cString: target)) }
            let (key, otype) = try objectKey(childFull)
            if let first = visited[key] {
                result.aliases.append(H5Walk.Alias(path: childRel, sameAs: first, isGroup: otype == H5O_TYPE_GROUP))
                continue
            }
            visited[key] = childRel
            switch otype {
            case H5O_TYPE_DATASET: result.datasets.append(childRel)
            case H5O_TYPE_GROUP: try walk(group: childFull, relative: childRel, visited: &visited, into: &result)
            default: break
            }
        }
    }

    public func group(_ name: String) throws -> H5Group {
        let full = absolute(name)
        switch resolve(name) {
        case .missing: throw HDF5Error(.notFound, file: file.path, object: full, detail: "no group here")
        case let .link(type, at, target): throw refusal(type: type, at: at, target: target)
        case .object(let k):
            guard k == .group else { throw HDF5Error(.wrongKind, file: file.path, object: full, detail: "expected a group, found a \(k)") }
        }
        if full == "/" { return file.root }
        let gid = H5Gopen2(file.id, full, softq_H5P_DEFAULT())
        if gid < 0 { throw HDF5Error.fromStack(.openFailed, file: file.path, object: full) }
        return H5Group(file: file, id: gid, path: full)
    }

    public func dataset(_ name: String) throws -> H5Dataset {
        let full = absolute(name)
        switch resolve(name) {
        case .missing: throw HDF5Error(.notFound, file: file.path, object: full, detail: "no dataset here")
        case let .link(type, at, target): throw refusal(type: type, at: at, target: target)
        case .object(let k):
            guard k == .dataset else { throw HDF5Error(.wrongKind, file: file.path, object: full, detail: "expected a dataset, found a \(k)") }
        }
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
        let lcpl = try linkCreationList(for: absolute(name))
        defer { H5Pclose(lcpl) }
        let gcpl = H5Pcreate(softq_H5P_GROUP_CREATE())
        if gcpl < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: absolute(name), detail: "property list") }
        defer { H5Pclose(gcpl) }
        if H5Pset_obj_track_times(gcpl, false) < 0 {
            throw HDF5Error.fromStack(.createFailed, file: file.path, object: absolute(name), detail: "property list")
        }
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
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw HDF5Error(.shapeMismatch, file: file.path, object: full, detail: "negative dimension in \(shape)")
        }
        let dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        if space < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: full, detail: "cannot make a dataspace of shape \(shape)") }
        defer { H5Sclose(space) }
        let lcpl = try linkCreationList(for: full)
        defer { H5Pclose(lcpl) }
        let dcpl = H5Pcreate(softq_H5P_DATASET_CREATE())
        if dcpl < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: full, detail: "property list") }
        defer { H5Pclose(dcpl) }
        // Contiguous; no modification times in object headers (the same content gives the same
        // bytes); storage allocated at creation so the offset (for memory mapping) is fixed.
        if H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 || H5Pset_obj_track_times(dcpl, false) < 0
            || H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 {
            throw HDF5Error.fromStack(.createFailed, file: file.path, object: full, detail: "property list")
        }
        let did = H5Dcreate2(file.id, full, mtype, space, lcpl, dcpl, softq_H5P_DEFAULT())
        if did < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: full) }
        return try H5Dataset(file: file, id: did, path: full)
    }

    public var attributes: H5Attributes { H5Attributes(file: file, objectID: id, objectPath: path, owner: self) }

    /// A link creation property list that creates missing parent groups (caller closes it).
    private func linkCreationList(for full: String) throws -> hid_t {
        let lcpl = H5Pcreate(softq_H5P_LINK_CREATE())
        if lcpl < 0 { throw HDF5Error.fromStack(.createFailed, file: file.path, object: full, detail: "property list") }
        if H5Pset_create_intermediate_group(lcpl, 1) < 0 {
            H5Pclose(lcpl)
            throw HDF5Error.fromStack(.createFailed, file: file.path, object: full, detail: "property list")
        }
        return lcpl
    }
}
