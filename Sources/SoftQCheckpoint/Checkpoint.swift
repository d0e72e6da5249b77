import Foundation
import HDF5Kit
import SoftQBase

/// A softq checkpoint opened for reading (docs/spec/checkpoint-format.md): configuration, weights,
/// optional tokenizer and training metadata. Lenient about *where* tensors are, strict
/// about *what* they are.
///
/// Tensor names are canonical Hugging Face state-dict names: datasets anywhere in the file
/// (root, `/weights`, nested groups) are named by their path with `/` → `.`, and a leading
/// `weights.` is dropped. The reserved groups `/tokenizer`, `/training` and `/optimizer` are
/// not weights.
///
/// `@unchecked Sendable`: every stored property is a `let` of a Sendable type except the
/// cached hash, which is read and written only under `lock`.
public final class Checkpoint: WeightSource, @unchecked Sendable {
    public let path: String
    public let file: H5File
    public let formatVersion: Int?
    public let modelType: String
    public let configText: String
    /// The decoded `config` object, keys in file order.
    public let config: JSONValue
    public let tokenizerJSON: Data?
    public let training: TrainingMetadata
    public let tensorInfos: [String: TensorInfo]
    /// Canonical name → HDF5 dataset path.
    public let tensorPaths: [String: String]
    /// Non-fatal observations (e.g. a missing format version) for `softq inspect` and exports.
    public let warnings: [String]

    public static let reservedGroups: Set<String> = ["tokenizer", "training", "optimizer"]

    public var sourceDescription: String { path }

    public init(path: String) throws {
        self.path = path
        let file: H5File
        do { file = try H5File(path: path, mode: .readOnly) } catch let e as HDF5Error { throw CheckpointError.file(e) }
        self.file = file
        let attrs = file.attributes
        var warnings: [String] = []
        // Present-but-unreadable or wrongly typed attributes are errors, never "missing".
        func attribute(_ name: String) throws -> H5Attributes.Value? {
            guard attrs.contains(name) else { return nil }
            return try Checkpoint.wrap { try attrs.read(name) }
        }

        if let value = try attribute("softq_format") {
            guard let v = value.intValue else {
                throw CheckpointError.wrongAttributeType(path: path, name: "softq_format", expected: "an integer (1)", found: value.summary)
            }
            if v > 1 { throw CheckpointError.unsupportedFormatVersion(path: path, version: v) }
            formatVersion = v
        } else {
            formatVersion = nil
            warnings.append("no 'softq_format' attribute: read as format 1")
        }

        guard let cfgValue = try attribute("config") else { throw CheckpointError.missingConfig(path: path) }
        guard let cfgText = cfgValue.stringValue else {
            throw CheckpointError.wrongAttributeType(path: path, name: "config", expected: "a JSON string", found: cfgValue.summary)
        }
        configText = cfgText
        let cfg: JSONValue
        do { cfg = try JSONParser.parse(cfgText) } catch let e as JSONParseError {
            throw CheckpointError.invalidConfig(path: path, detail: e.description)
        }
        guard case .object = cfg else { throw CheckpointError.invalidConfig(path: path, detail: "expected an object, found \(cfg.typeName)") }
        config = cfg

        let rootModelType = try attribute("model_type")
        if let value = rootModelType, value.stringValue == nil {
            throw CheckpointError.wrongAttributeType(path: path, name: "model_type", expected: "a string such as \"gpt2\"", found: value.summary)
        }
        if let mt = rootModelType?.stringValue, !mt.isEmpty {
            modelType = mt
            if let inner = cfg["model_type"]?.stringValue, inner != mt {
                warnings.append("root model_type '\(mt)' differs from config model_type '\(inner)'; using '\(mt)'")
            }
        } else if let mt = cfg["model_type"]?.stringValue, !mt.isEmpty {
            modelType = mt
        } else {
            throw CheckpointError.missingModelType(path: path)
        }

        // One walk over the whole file, before anything is read: links other than hard links
        // are refused (HDF5Kit), each object is visited once (cycles end), and a dataset
        // reachable under two names is an error rather than two tensors.
        let walk = try Checkpoint.wrap { try file.root.walk() }
        for alias in walk.aliases {
            if alias.isGroup {
                let first = alias.sameAs.isEmpty ? "/" : "/" + alias.sameAs
                warnings.append("group /\(alias.path) is another hard link to \(first) (a cycle or an alias); its contents were read once, under \(first)")
            } else {
                throw CheckpointError.aliasedDataset(path: path, object: "/" + alias.path, sameAs: "/" + alias.sameAs)
            }
        }

        // Tokenizer: a scalar (or 1-element) string dataset at /tokenizer/tokenizer.json.
        tokenizerJSON = try Checkpoint.readText(file, "/tokenizer/tokenizer.json", checkpoint: path).map { Data($0.utf8) }

        training = file.contains("/training") ? TrainingMetadata(try Checkpoint.wrap { try file.group("/training") }) : TrainingMetadata()

        // Collect tensors with lenient naming; two datasets mapping to one name is an error.
        // Every dataset is opened (refusing external storage and virtual datasets) and its
        // declared size checked against the bytes stored, so no later read can be told to
        // allocate more than the file holds.
        var infos: [String: TensorInfo] = [:]
        var paths: [String: String] = [:]
        var seen: [String: [String]] = [:]
        for rel in walk.datasets {
            let ds = try Checkpoint.wrap { try file.dataset(rel) }
            let first = rel.split(separator: "/").first.map(String.init) ?? rel
            if Checkpoint.reservedGroups.contains(first) { continue }
            try Checkpoint.wrap { try ds.checkStoredSize() }
            var name = rel.replacingOccurrences(of: "/", with: ".")
            if name.hasPrefix("weights.") { name.removeFirst("weights.".count) }
            seen[name, default: []].append("/" + rel)
            let dtype = try Checkpoint.dtype(of: ds, name: name, path: path)
            infos[name] = TensorInfo(shape: ds.shape, dtype: dtype)
            paths[name] = "/" + rel
        }
        if let dup = seen.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 1 }) {
            throw CheckpointError.duplicateTensor(path: path, name: dup.key, locations: dup.value)
        }
        tensorInfos = infos
        tensorPaths = paths
        if infos.isEmpty { warnings.append("no weight tensors found") }
        self.warnings = warnings
    }

    /// The text of an optional string dataset under `/tokenizer` (tokenizer.json,
    /// tokenizer_config.json, a chat template): nil when absent; it must be a scalar or a
    /// single element, non-empty, and only that one element is read.
    public static func readText(_ file: H5File, _ datasetPath: String, checkpoint path: String) throws -> String? {
        guard file.contains(datasetPath) else { return nil }
        do {
            let ds = try file.dataset(datasetPath)
            guard ds.count <= 1 else {
                throw CheckpointError.invalidText(path: path, object: datasetPath,
                                                  detail: "expected one string (a scalar dataset), found shape \(ds.shape)")
            }
            guard let text = try ds.readFirstString(), !text.isEmpty else {
                throw CheckpointError.invalidText(path: path, object: datasetPath, detail: "empty")
            }
            return text
        } catch let e as HDF5Error {
            throw CheckpointError.file(e)
        }
    }

    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as HDF5Error { throw CheckpointError.file(e) }
    }

    static func dtype(of ds: H5Dataset, name: String, path: String) throws -> DType {
        switch ds.elementType {
        case .float32: return .float32
        case .float16: return .float16
        case .float64: return .float64
        case .uint16:
            if ds.attributes["dtype"]?.stringValue == "bfloat16" { return .bfloat16 }
            throw CheckpointError.unsupportedDType(path: path, tensor: name, found: "uint16 without dtype=\"bfloat16\"")
        default:
            throw CheckpointError.unsupportedDType(path: path, tensor: name, found: ds.elementType.description)
        }
    }

    /// Canonical names, sorted.
    public var tensorNames: [String] { tensorInfos.keys.sorted() }

    /// Reads one tensor as float32. Contiguous float32 data is memory-mapped (no copy);
    /// float16/bfloat16 are read raw and converted in Swift; NaN/Inf is an error naming the tensor.
    public func loadTensor(_ name: String) throws -> Tensor {
        guard let dsPath = tensorPaths[name], let info = tensorInfos[name] else {
            throw CheckpointError.missingTensor(path: path, name: name)
        }
        let ds = try Checkpoint.wrap { try file.dataset(dsPath) }
        let n = info.shape.reduce(1, *)
        let tensor: Tensor
        switch info.dtype {
        case .float32:
            if let m = ds.mappedBytes(), Int(bitPattern: m.pointer) % MemoryLayout<Float>.alignment == 0 {
                tensor = Tensor(shape: info.shape, mapped: m.pointer.assumingMemoryBound(to: Float.self), owner: m.owner)
            } else {
                tensor = try Tensor(shape: info.shape) { dst in
                    try Checkpoint.wrap { try ds.readRaw(into: UnsafeMutableRawBufferPointer(dst)) }
                }
            }
        case .float16, .bfloat16:
            var raw = [UInt16](repeating: 0, count: n)
            try Checkpoint.wrap { try raw.withUnsafeMutableBytes { try ds.readRaw(into: $0) } }
            tensor = Tensor(shape: info.shape) { dst in
                raw.withUnsafeBufferPointer { src in
                    if info.dtype == .float16 { convertFloat16(src.baseAddress!, to: dst.baseAddress!, count: n) }
                    else { convertBFloat16(src.baseAddress!, to: dst.baseAddress!, count: n) }
                }
            }
        case .float64:
            let values = try Checkpoint.wrap { try ds.read(as: Double.self) }
            tensor = Tensor(shape: info.shape) { dst in for i in 0..<n { dst[i] = Float(values[i]) } }
        default:
            throw CheckpointError.unsupportedDType(path: path, tensor: name, found: info.dtype.rawValue)
        }
        if let bad = tensor.firstNonFinite() {
            throw CheckpointError.nonFinite(path: path, tensor: name, index: bad, value: tensor.data[bad])
        }
        return tensor
    }

    /// Reads a tensor that enters matrix products. float16/bfloat16 stay 16-bit: memory-mapped
    /// when contiguous, uncompressed and 2-byte aligned (`mappedBytes` checks the offset and
    /// size against the file's size), otherwise read raw into an owned 16-bit buffer; NaN/Inf is
    /// an error naming the tensor, as for `loadTensor`. Other types load as `loadTensor` does.
    public func loadMatrix(_ name: String) throws -> WeightMatrix {
        guard let dsPath = tensorPaths[name], let info = tensorInfos[name] else {
            throw CheckpointError.missingTensor(path: path, name: name)
        }
        let format: HalfFormat
        switch info.dtype {
        case .float16: format = .float16
        case .bfloat16: format = .bfloat16
        default: return WeightMatrix(try loadTensor(name))
        }
        let ds = try Checkpoint.wrap { try file.dataset(dsPath) }
        let matrix: WeightMatrix
        if let m = ds.mappedBytes(), Int(bitPattern: m.pointer) % MemoryLayout<UInt16>.alignment == 0 {
            matrix = WeightMatrix(shape: info.shape, mapped: m.pointer.assumingMemoryBound(to: UInt16.self),
                                  format: format, owner: m.owner)
        } else {
            matrix = try WeightMatrix(shape: info.shape, format: format) { dst in
                try Checkpoint.wrap { try ds.readRaw(into: UnsafeMutableRawBufferPointer(dst)) }
            }
        }
        if case .half(let bits, _) = matrix.elements, let bad = format.firstNonFinite(bits, count: matrix.count) {
            var value: Float = 0
            matrix.widen(from: bad, count: 1, into: &value)
            throw CheckpointError.nonFinite(path: path, tensor: name, index: bad, value: value)
        }
        return matrix
    }

    /// SHA-256 of the file's bytes, hex, for provenance (streamed; computed once).
    public func sha256() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let h = cachedHash { return h }
        let h = try FileHash.sha256(path: path)
        cachedHash = h
        return h
    }
    private var cachedHash: String?
    private let lock = NSLock()

    /// Parameter counts per stored element type.
    public var parameterCounts: [(DType, Int)] {
        var c: [DType: Int] = [:]
        for info in tensorInfos.values { c[info.dtype, default: 0] += info.shape.reduce(1, *) }
        return DType.allCases.compactMap { d in c[d].map { (d, $0) } }
    }
}

/// The `/training` group's attributes: how a policy was trained.
public struct TrainingMetadata: Sendable {
    public var entries: [(String, JSONValue)]

    public init(entries: [(String, JSONValue)] = []) { self.entries = entries }

    init(_ group: H5Group) {
        var e: [(String, JSONValue)] = []
        for name in group.attributes.names.sorted() {
            guard let v = group.attributes[name] else { continue }
            e.append((name, TrainingMetadata.json(v)))
        }
        entries = e
    }

    static func json(_ v: H5Attributes.Value) -> JSONValue {
        switch v {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .ints(let a): return .array(a.map { .int($0) })
        case .doubles(let a): return .array(a.map { .double($0) })
        case .strings(let a): return .array(a.map { .string($0) })
        }
    }

    public subscript(key: String) -> JSONValue? { entries.first { $0.0 == key }?.1 }
    public var isEmpty: Bool { entries.isEmpty }
    public var objective: String? { self["objective"]?.stringValue }
    public var tdWeight: Double? { self["td_weight"]?.doubleValue }
    public var gamma: Double? { self["gamma"]?.doubleValue }
    public var temperature: Double? { self["temperature"]?.doubleValue }
    public var json: JSONValue { .object(entries) }
}

/// Streaming SHA-256 of files, for provenance (SoftQBase.FileDigest, with the checkpoint's error type).
public enum FileHash {
    public static func sha256(path: String) throws -> String {
        do { return try FileDigest.sha256(path: path) } catch {
            throw CheckpointError.file(HDF5Error(.openFailed, file: path, detail: "cannot read for hashing"))
        }
    }

    public static func sha256(data: Data) -> String { FileDigest.sha256(data: data) }
}
