import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// The fixture models as softq checkpoints written by h5py: they load through `Checkpoint`
/// (memory-mapped) and score the very same bits as the in-memory weights.
final class CheckpointLoadingTests: XCTestCase {
    func testH5CheckpointsScoreLikeInMemoryWeights() throws {
        for name in Fixture.checkpointNames {
            let fx = try Fixture.model(name)
            let checkpoint = try Checkpoint(path: try Fixture.url(name + ".h5").path)
            XCTAssertEqual(checkpoint.modelType, fx.modelType)
            let fromFile = try ModelRegistry.makeModel(checkpoint: checkpoint)
            let inMemory = try fx.makeModel()
            XCTAssertEqual(fromFile.parameterCount, inMemory.parameterCount)
            let tokens = fx.sequences[1]["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
            let groups = [PromptGroup(prompt: Array(tokens.prefix(4)), continuations: [Array(tokens.dropFirst(4)), [1, 2]])]
            let options = ForwardOptions(threads: 2, fullLogits: true)
            XCTAssertEqual(try fromFile.score(groups, options: options), try inMemory.score(groups, options: options), name)
        }
    }
}
