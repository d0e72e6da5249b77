import Foundation
import HDF5Kit
import SoftQBase

/// Writes a checkpoint in the layout of docs/spec/checkpoint-format.md, atomically (a temporary file
/// renamed into place), with every tensor contiguous and 64-byte aligned so readers can
/// memory-map it.
public struct CheckpointWriter {
    public var modelType: String
    public var configText: String
    /// Tensors in the order they are written (canonical HF names → `/weights/<name>`).
    public var tensors: [(String, Tensor)]
    public var tokenizerJSON: String?
    public var training: [(String, JSONValue)]
    /// Element type on disk: float32, float16 or bfloat16.
    public var dtype: DType
    /// Extra content (e.g. optimizer state for resuming) written into the open file.
    public var extra: ((H5File) throws -> Void)?
    /// Optional tokenizer-side files beside tokenizer.json (`tokenizer_config.json`,
    /// `chat_template.jinja`, …), written as string datasets under `/tokenizer`.
    public var tokenizerFiles: [(String, String)] = []
    /// The model's generation_config.json, as the root attribute `generation_config`.
    public var generationConfig: String?

    public init(modelType: String, configText: String, tensors: [(String, Tensor)],
                tokenizerJSON: String? = nil, training: [(String, JSONValue)] = [],
                dtype: DType = .float32, extra: ((H5File) throws -> Void)? = nil) {
        self.modelType = modelType
        self.configText = configText
        self.tensors = tensors
        self.tokenizerJSON = tokenizerJSON
        self.training = training
        self.dtype = dtype
        self.extra = extra
    }

    public func write(to path: String) throws {
        guard [.float32, .float16, .bfloat16].contains(dtype) else {
            throw CheckpointError.unsupportedDType(path: path, tensor: "*", found: dtype.rawValue)
        }
        for (name, t) in tensors {
            if let bad = t.firstNonFinite() {
                throw CheckpointError.nonFinite(path: path, tensor: name, index: bad, value: t.data[bad])
            }
        }
        let url = URL(fileURLWithPath: path)
        try AtomicFile.write(to: url) { tmp in
            try Checkpoint.wrap {
                let f = try H5File(path: tmp.path, mode: .truncate, alignment: 64)
                try f.attributes.write("softq_format", .int(1))
                try f.attributes.write("model_type", .string(modelType))
                try f.attributes.write("config", .string(configText))
                let weights = try f.root.createGroup("weights")
                for (name, t) in tensors {
                    switch dtype {
                    case .float32:
                        let ds = try weights.createDataset(name, shape: t.shape, type: .float32)
                        try ds.writeRaw(UnsafeRawBufferPointer(start: t.data, count: t.count * 4))
                    case .float16:
                        let bits = (0..<t.count).map { float16Bits(t.data[$0]) }
                        let ds = try weights.createDataset(name, shape: t.shape, type: .float16)
                        try bits.withUnsafeBytes { try ds.writeRaw($0) }
                    default:
                        let bits = (0..<t.count).map { bfloat16Bits(t.data[$0]) }
                        let ds = try weights.createDataset(name, shape: t.shape, values: bits)
                        try ds.attributes.write("dtype", .string("bfloat16"))
                    }
                }
                if tokenizerJSON != nil || !tokenizerFiles.isEmpty {
                    let g = try f.root.createGroup("tokenizer")
                    if let tok = tokenizerJSON { try g.createScalarString("tokenizer.json", value: tok) }
                    for (name, text) in tokenizerFiles { try g.createScalarString(name, value: text) }
                }
                if let gen = generationConfig { try f.attributes.write("generation_config", .string(gen)) }
                if !training.isEmpty {
                    let g = try f.root.createGroup("training")
                    for (k, v) in training { try g.attributes.write(k, CheckpointWriter.attribute(v)) }
                }
                try extra?(f)
                // Flush and close with their statuses checked: a full disk fails here, before
                // the temporary file could be renamed into place.
                try f.close()
            }
        }
    }

    static func attribute(_ v: JSONValue) -> H5Attributes.Value {
        switch v {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .int(b ? 1 : 0)
        case .string(let s): return .string(s)
        case .array(let a):
            if a.allSatisfy({ $0.intValue != nil }) { return .ints(a.compactMap { $0.intValue }) }
            if a.allSatisfy({ $0.doubleValue != nil }) { return .doubles(a.compactMap { $0.doubleValue }) }
            return .strings(a.map { $0.stringValue ?? $0.serialized() })
        default: return .string(v.serialized())
        }
    }
}
