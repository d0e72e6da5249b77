import HDF5Kit

/// Everything that can be wrong with a checkpoint file, each naming the file and what was
/// expected, with a hint where the fix is known.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case file(HDF5Error)
    case missingConfig(path: String)
    case invalidConfig(path: String, detail: String)
    case missingModelType(path: String)
    case unsupportedFormatVersion(path: String, version: Int)
    case unsupportedDType(path: String, tensor: String, found: String)
    case duplicateTensor(path: String, name: String, locations: [String])
    case missingTensor(path: String, name: String)
    case nonFinite(path: String, tensor: String, index: Int, value: Float)
    /// An optional tokenizer-side object (tokenizer_config.json, a chat template, generation_config) is malformed.
    case invalidMetadata(path: String, object: String, detail: String)
    /// A string dataset under /tokenizer that is not one non-empty string.
    case invalidText(path: String, object: String, detail: String)
    /// A root attribute that is present but of the wrong type (e.g. `softq_format = "1"`).
    case wrongAttributeType(path: String, name: String, expected: String, found: String)
    /// A dataset reachable under a second name through a hard link.
    case aliasedDataset(path: String, object: String, sameAs: String)

    public var description: String {
        switch self {
        case .file(let e): return e.description
        case .missingConfig(let p):
            return "\(p): the root attribute 'config' is missing; expected the model's Hugging Face config.json as a JSON string (add it with h5py: f.attrs['config'] = open('config.json').read(), or convert the model with Scripts/convert.py)"
        case let .invalidConfig(p, d): return "\(p): the root attribute 'config' is not a valid JSON object: \(d)"
        case .missingModelType(let p):
            return "\(p): no model type: neither the root attribute 'model_type' nor the key 'model_type' in 'config' is present (expected e.g. \"gpt2\" or \"llama\")"
        case let .unsupportedFormatVersion(p, v): return "\(p): softq_format \(v) is newer than this softq understands (1)"
        case let .unsupportedDType(p, t, f):
            return "\(p): tensor '\(t)' has element type \(f); expected float32, float16, or bfloat16 (uint16 with attribute dtype=\"bfloat16\")"
        case let .duplicateTensor(p, n, locs): return "\(p): tensor '\(n)' appears more than once: \(ListSummary.capped(locs).joined(separator: ", "))"
        case let .missingTensor(p, n): return "\(p): tensor '\(n)' not found"
        case let .nonFinite(p, t, i, v):
            return "\(p): tensor '\(t)' has a non-finite value (\(v)) at flat index \(i); the checkpoint is corrupt or was saved after a diverged update"
        case let .invalidMetadata(p, o, d): return "\(p): \(o): \(d)"
        case let .invalidText(p, o, d): return "\(p): \(o): \(d)"
        case let .wrongAttributeType(p, n, e, f): return "\(p): the root attribute '\(n)' has the wrong type: expected \(e), found \(f)"
        case let .aliasedDataset(p, o, same):
            return "\(p): \(o) is a second hard link to the dataset \(same); a checkpoint stores each tensor once under its own name (for tied weights store the embedding only, or a copy)"
        }
    }
}
