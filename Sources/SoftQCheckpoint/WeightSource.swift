/// Where a model gets its weights from: a checkpoint file, or a dictionary in tests.
///
/// Names are canonical Hugging Face state-dict names (after the checkpoint's lenient renaming:
/// nested groups joined with `.`, a leading `weights.` dropped). Binding asks for shapes first,
/// so one error can list every missing, mis-shaped and unused tensor before anything is read.
public protocol WeightSource: AnyObject {
    /// Every tensor available, by canonical name, with its shape and stored element type.
    var tensorInfos: [String: TensorInfo] { get }
    /// Reads one tensor as float32 (converting float16/bfloat16), rejecting NaN/Inf.
    func loadTensor(_ name: String) throws -> Tensor
    /// Reads one tensor that enters matrix products, in its stored element type where the
    /// product kernels can widen it (float16/bfloat16 stay 16-bit), rejecting NaN/Inf.
    func loadMatrix(_ name: String) throws -> WeightMatrix
    /// Where the weights came from, for error messages ("model.h5", "in-memory weights").
    var sourceDescription: String { get }
}

extension WeightSource {
    /// Sources without 16-bit storage hand out their float32 tensors.
    public func loadMatrix(_ name: String) throws -> WeightMatrix { WeightMatrix(try loadTensor(name)) }

    /// Throws before anything is allocated when a configuration declares more layers than the
    /// source could fill. A configuration is a few bytes of JSON that can say `n_layer = 10^9`;
    /// building the list of expected names alone would then take gigabytes. Every layer needs
    /// at least one tensor of its own, so `layers` may not exceed the number of tensors
    /// present: after this check, a model's list of expected tensors (`tensorsPerLayer` per
    /// layer) is at most `tensorsPerLayer` times longer than the source's own list, and small
    /// mismatches still reach strict binding, which names every missing tensor.
    public func checkTensorBudget(modelType: String, layers: Int, tensorsPerLayer: Int) throws {
        let found = tensorInfos.count
        let (_, overflow) = max(layers, 0).multipliedReportingOverflow(by: max(tensorsPerLayer, 1))
        if overflow || layers > found {
            throw WeightSourceError.tooFewTensors(source: sourceDescription, modelType: modelType, layers: layers,
                                                 tensorsPerLayer: tensorsPerLayer, found: found)
        }
    }
}

public struct TensorInfo: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: DType
    public init(shape: [Int], dtype: DType) {
        self.shape = shape
        self.dtype = dtype
    }
}

/// A dictionary of tensors, for tests and for models built in memory (training from scratch).
public final class InMemoryWeights: WeightSource {
    public var tensors: [String: Tensor]
    public let sourceDescription: String
    public init(_ tensors: [String: Tensor], description: String = "in-memory weights") {
        self.tensors = tensors
        self.sourceDescription = description
    }
    public var tensorInfos: [String: TensorInfo] {
        tensors.mapValues { TensorInfo(shape: $0.shape, dtype: .float32) }
    }
    public func loadTensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw WeightSourceError.missing(name: name, source: sourceDescription) }
        if let bad = t.firstNonFinite() {
            throw WeightSourceError.nonFinite(name: name, index: bad, value: t.data[bad], source: sourceDescription)
        }
        return t
    }
}

public enum WeightSourceError: Error, CustomStringConvertible, Equatable {
    case missing(name: String, source: String)
    case nonFinite(name: String, index: Int, value: Float, source: String)
    case tooFewTensors(source: String, modelType: String, layers: Int, tensorsPerLayer: Int, found: Int)

    public var description: String {
        switch self {
        case let .missing(name, source): return "\(source): tensor '\(name)' not found"
        case let .nonFinite(name, index, value, source):
            return "\(source): tensor '\(name)' has a non-finite value (\(value)) at flat index \(index); the checkpoint is corrupt or was saved after a diverged update"
        case let .tooFewTensors(source, modelType, layers, perLayer, found):
            return "\(source): the \(modelType) configuration declares \(layers) layers (\(perLayer) tensors each) but the weights hold only \(found) tensors in all; the configuration does not describe these weights (check n_layer / num_hidden_layers)"
        }
    }
}
