import Foundation
import SoftQCheckpoint
import SoftQModels
import XCTest

/// A manual check on a real checkpoint, skipped unless SOFTQ_REAL_CHECKPOINT is set: writes the
/// logits of SOFTQ_REAL_TOKENS (comma-separated ids) for every position as little-endian float32
/// to SOFTQ_REAL_OUT, for comparison with transformers (see docs/models.md).
final class RealCheckpointProbe: XCTestCase {
    func testWriteLogitsOfARealCheckpoint() throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env["SOFTQ_REAL_CHECKPOINT"], let out = env["SOFTQ_REAL_OUT"] else {
            throw XCTSkip("set SOFTQ_REAL_CHECKPOINT, SOFTQ_REAL_TOKENS and SOFTQ_REAL_OUT to run")
        }
        let tokens = (env["SOFTQ_REAL_TOKENS"] ?? "1").split(separator: ",").compactMap { Int($0) }
        let model = try ModelRegistry.makeModel(checkpoint: try Checkpoint(path: path))
        let t0 = Date()
        let logits = try model.logitsForAllPositions(tokens, threads: 2)
        print("real checkpoint: \(model.modelType), \(model.parameterCount) parameters, \(tokens.count) tokens in \(Date().timeIntervalSince(t0)) s")
        try logits.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: out)) }
    }
}
