import Foundation
import HDF5Kit
import SoftQBase
import SoftQCheckpoint
import TestSupport
import XCTest

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "h5")!.path
}

final class CheckpointLayoutTests: XCTestCase {
    func testWeightsGroupWithNestedNamesTokenizerAndTraining() throws {
        let c = try Checkpoint(path: fixture("layout_weights_group"))
        XCTAssertEqual(c.formatVersion, 1)
        XCTAssertEqual(c.modelType, "gpt2")
        XCTAssertEqual(c.config["n_embd"], .int(4))
        XCTAssertEqual(c.tensorNames, ["transformer.wpe.weight", "transformer.wte.weight"])
        XCTAssertEqual(c.tensorInfos["transformer.wte.weight"], TensorInfo(shape: [2, 4], dtype: .float32))
        let t = try c.loadTensor("transformer.wte.weight")
        XCTAssertTrue(t.isMapped, "aligned contiguous float32 is memory-mapped")
        XCTAssertEqual(t.array, (0..<8).map { Float($0) / 4 })
        XCTAssertEqual(c.tokenizerJSON.map { String(decoding: $0, as: UTF8.self) }, #"{"version": "1.0"}"#)
        XCTAssertEqual(c.training.objective, "iqlearn")
        XCTAssertEqual(c.training.tdWeight, 0.5)
        XCTAssertEqual(c.training["steps"], .int(200))
        XCTAssertEqual(c.warnings, [])
    }

    func testRootLevelDatasetsAndModelTypeFromConfig() throws {
        let c = try Checkpoint(path: fixture("layout_root_level"))
        XCTAssertEqual(c.modelType, "gpt2")
        XCTAssertEqual(c.tensorNames, ["transformer.wpe.weight", "transformer.wte.weight"])
        XCTAssertNil(c.tokenizerJSON)
        XCTAssert(c.training.isEmpty)
        XCTAssertEqual(c.warnings, ["no 'softq_format' attribute: read as format 1"])
    }

    func testHalfAndBFloat16ConvertExactly() throws {
        let c = try Checkpoint(path: fixture("dtypes"))
        XCTAssertEqual(c.tensorInfos["half"]?.dtype, .float16)
        XCTAssertEqual(c.tensorInfos["bf16"]?.dtype, .bfloat16)
        XCTAssertEqual(try c.loadTensor("half").array, [1, -2, 0.5, 65504])
        XCTAssertEqual(try c.loadTensor("bf16").array, [1, -3.140625, Float(bitPattern: 0x3A83_0000), 0x1p100])
        XCTAssertEqual(try c.loadTensor("f32").array, [0.1, 0.2])
        XCTAssertEqual(c.parameterCounts.map { $0.0 }, [.float32, .float16, .bfloat16])
    }

    func testSHA256MatchesFileBytes() throws {
        let path = fixture("dtypes")
        let c = try Checkpoint(path: path)
        let expected = FileHash.sha256(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(try c.sha256(), expected)
        XCTAssertEqual(expected.count, 64)
    }
}

final class CheckpointErrorTests: XCTestCase {
    func message(_ name: String) -> String {
        do {
            _ = try Checkpoint(path: fixture(name)).loadTensor("transformer.wte.weight")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testNotHDF5() {
        let m = message("bad_not_hdf5")
        XCTAssert(m.hasSuffix("bad_not_hdf5.h5: not an HDF5 file: no HDF5 signature; expected an HDF5 file (.h5) such as a softq checkpoint"), m)
    }

    func testTruncated() {
        let m = message("bad_truncated")
        XCTAssert(m.contains("bad_truncated.h5: cannot open: the HDF5 file is damaged or truncated [HDF5: "), m)
        XCTAssert(m.contains("truncated file: eof = 4837"), m)
    }

    func testMissingConfig() {
        XCTAssert(message("bad_no_config").hasSuffix("bad_no_config.h5: the root attribute 'config' is missing; expected the model's Hugging Face config.json as a JSON string (add it with h5py: f.attrs['config'] = open('config.json').read(), or convert the model with Scripts/convert.py)"))
    }

    func testInvalidConfigJSON() {
        let m = message("bad_config_json")
        XCTAssert(m.hasSuffix("bad_config_json.h5: the root attribute 'config' is not a valid JSON object: column 23: expected a string key"), m)
    }

    func testMissingModelType() {
        XCTAssert(message("bad_no_model_type").hasSuffix("bad_no_model_type.h5: no model type: neither the root attribute 'model_type' nor the key 'model_type' in 'config' is present (expected e.g. \"gpt2\" or \"llama\")"))
    }

    func testNaNWeightNamesTensor() {
        XCTAssert(message("bad_nan").hasSuffix("bad_nan.h5: tensor 'transformer.wte.weight' has a non-finite value (nan) at flat index 1; the checkpoint is corrupt or was saved after a diverged update"), message("bad_nan"))
    }

    func testWrongDType() {
        XCTAssert(message("bad_dtype").hasSuffix("bad_dtype.h5: tensor 'transformer.wte.weight' has element type int32; expected float32, float16, or bfloat16 (uint16 with attribute dtype=\"bfloat16\")"), message("bad_dtype"))
        XCTAssert(message("bad_uint16").contains("tensor 'x' has element type uint16 without dtype=\"bfloat16\""))
    }

    func testDuplicateNames() {
        XCTAssert(message("bad_duplicate").hasSuffix("bad_duplicate.h5: tensor 'x' appears more than once: /weights/x, /x"), message("bad_duplicate"))
    }
}

final class CheckpointWriterTests: XCTestCase {
    func testRoundTripInEveryDType() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SeededGenerator(seed: 1)
        let values = (0..<24).map { _ in Float(g.nextGaussian()) }
        let t = Tensor(shape: [4, 6], values: values)
        for dtype in [DType.float32, .float16, .bfloat16] {
            let path = dir.appendingPathComponent("c-\(dtype).h5").path
            try CheckpointWriter(modelType: "gpt2", configText: #"{"model_type":"gpt2"}"#,
                                 tensors: [("transformer.wte.weight", t)], tokenizerJSON: #"{"model":{}}"#,
                                 training: [("objective", .string("mle")), ("td_weight", .double(0)), ("steps", .int(10))],
                                 dtype: dtype).write(to: path)
            let c = try Checkpoint(path: path)
            XCTAssertEqual(c.tensorInfos["transformer.wte.weight"], TensorInfo(shape: [4, 6], dtype: dtype))
            let back = try c.loadTensor("transformer.wte.weight").array
            switch dtype {
            case .float32: XCTAssertEqual(back, values)
            case .float16: XCTAssertEqual(back, values.map { Float(Float16($0)) })
            default: assertClose(back, values, atol: 0, rtol: 1.0 / 256, "bfloat16 keeps 8 bits")
            }
            XCTAssertEqual(c.training.objective, "mle")
            XCTAssertEqual(c.training["steps"], .int(10))
            XCTAssertNotNil(c.tokenizerJSON)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, [], "no temporary left behind")
        }
    }

    /// Same content, same bytes: HDF5 object headers carry no modification times.
    func testWritingTwiceGivesIdenticalBytes() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        var files: [Data] = []
        for k in 0..<2 {
            let path = dir.appendingPathComponent("c\(k).h5").path
            try CheckpointWriter(modelType: "gpt2", configText: "{}", tensors: [("a.weight", t)], tokenizerJSON: "{}",
                                 training: [("seed", .int(1))]).write(to: path)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            if k == 0 { Thread.sleep(forTimeInterval: 1.1) }
        }
        XCTAssertEqual(files[0], files[1])
    }

    func testRefusesNonFiniteAndLeavesNothing() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.h5").path
        let t = Tensor(shape: [2], values: [1, .infinity])
        XCTAssertThrowsError(try CheckpointWriter(modelType: "gpt2", configText: "{}", tensors: [("w", t)]).write(to: path)) { e in
            XCTAssert("\(e)".contains("tensor 'w' has a non-finite value (inf) at flat index 1"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
