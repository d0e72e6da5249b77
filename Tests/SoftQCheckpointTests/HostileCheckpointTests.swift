import Foundation
import HDF5Kit
import SoftQCheckpoint
import TestSupport
import XCTest

/// The hostile files of Scripts/reference/make_hostile_fixtures.py: each must give a clear,
/// typed error naming the file and the object (or, for cycles, a correct result), without
/// reading anything outside the file and without allocating what the file does not store.
/// docs/reliability.md ("Checkpoint files") lists the same cases.
final class HostileCheckpointTests: XCTestCase {
    func hostile(_ name: String) -> String { fixture("hostile/\(name)") }

    /// The error message of opening the checkpoint (and loading its embedding, if it opens).
    func message(_ name: String) -> String {
        do {
            _ = try Checkpoint(path: hostile(name)).loadTensor("transformer.wte.weight")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func assertMessage(_ name: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let m = message(name)
        XCTAssert(m.hasPrefix(hostile(name) + ": "), "names the file: \(m)", file: file, line: line)
        XCTAssert(m.contains(expected), "expected «\(expected)» in «\(m)»", file: file, line: line)
        XCTAssertLessThan(m.count, 1000, "bounded message", file: file, line: line)
    }

    // MARK: pointers elsewhere

    func testExternalStorageIsRefused() {
        assertMessage("external_storage", "/weights/transformer.wte.weight: refused: its data is stored in the external file '/dev/zero' (1 external segment(s)); softq reads only data stored in the file itself")
    }

    func testExternalLinkToADatasetIsRefused() {
        assertMessage("external_link", "/weights/transformer.wte.weight: refused: an external link to '../layout_weights_group.h5:/weights/transformer/wte/weight'; softq reads only objects stored in the file itself")
    }

    func testExternalLinkToAReservedGroupIsRefused() {
        // Without the walk's check, the tokenizer would silently come from another file.
        assertMessage("external_link_group", "/tokenizer: refused: an external link to '../layout_weights_group.h5:/tokenizer'")
    }

    func testVirtualDatasetIsRefused() {
        assertMessage("virtual_dataset", "/weights/transformer.wte.weight: refused: a virtual dataset (its data is mapped from other datasets or files)")
    }

    func testSoftLinkIsRefused() {
        assertMessage("soft_link", "/weights/lm_head.weight: refused: a soft link to '/weights/transformer.wte.weight'; softq follows only hard links")
    }

    /// The same refusals hold for HDF5Kit's direct accessors, not only for the checkpoint walk.
    func testDirectAccessDoesNotFollowLinks() throws {
        let f = try H5File(path: hostile("external_link"))
        XCTAssertTrue(f.contains("/weights/transformer.wte.weight"))
        XCTAssertThrowsError(try f.dataset("/weights/transformer.wte.weight")) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .refused)
        }
        let g = try H5File(path: hostile("external_link_group"))
        XCTAssertThrowsError(try g.dataset("/tokenizer/tokenizer.json")) { e in
            XCTAssertEqual((e as? HDF5Error)?.object, "/tokenizer", "stops at the link, before HDF5 opens the other file")
        }
        XCTAssertThrowsError(try H5File(path: hostile("external_storage")).dataset("/weights/transformer.wte.weight")) { e in
            XCTAssertEqual((e as? HDF5Error)?.kind, .refused)
        }
    }

    // MARK: cycles and aliases

    func testHardLinkCycleEndsTheWalkAndIsReported() throws {
        let c = try Checkpoint(path: hostile("cycle"))
        XCTAssertEqual(c.tensorNames, ["inner.deeper", "transformer.wte.weight"])
        XCTAssertEqual(c.warnings, [
            "group /weights/inner/deeper_up is another hard link to /weights (a cycle or an alias); its contents were read once, under /weights",
            "group /weights/loop is another hard link to /weights (a cycle or an alias); its contents were read once, under /weights",
        ])
        XCTAssertEqual(try c.loadTensor("transformer.wte.weight").array, (0..<8).map { Float($0) / 4 })
        let walk = try H5File(path: hostile("cycle")).root.walk()
        XCTAssertEqual(walk.datasets, ["weights/inner/deeper", "weights/transformer.wte.weight"])
        XCTAssertEqual(walk.aliases.map(\.path), ["weights/inner/deeper_up", "weights/loop"])
    }

    func testHardLinkedDatasetIsADuplicateNotTwoTensors() {
        assertMessage("hard_link_alias", "/weights/transformer.wte.weight is a second hard link to the dataset /weights/lm_head.weight; a checkpoint stores each tensor once under its own name")
    }

    // MARK: sizes declared but not stored

    func testTokenizerWithABillionStringsReadsNothing() {
        // Before: 8 GB of string pointers allocated, even for `softq inspect`.
        assertMessage("tokenizer_many_strings", "/tokenizer/tokenizer.json: expected one string (a scalar dataset), found shape [1000000000]")
    }

    func testHugeFixedLengthStringIsNotAllocated() {
        assertMessage("tokenizer_huge_fixed_string", "/tokenizer/tokenizer.json: size not backed by the file: shape [] declares 1073741824 bytes but the file stores 0 bytes for it; the dataset was never written or the file is damaged")
    }

    func testUnstoredTensorIsRefusedAtOpen() {
        assertMessage("unstored_tensor", "/weights/transformer.wte.weight: size not backed by the file: shape [100000, 100000] declares 40000000000 bytes but the file stores 0 bytes for it")
    }

    func testShapeWhoseElementCountOverflowsIsRefused() {
        assertMessage("overflowing_shape", "/weights/transformer.wte.weight: size not backed by the file: shape [4611686018427387904, 8] has more elements than a 64-bit count can hold")
    }

    func testConfigurationWithABillionLayersFailsBeforeListingTensors() throws {
        let c = try Checkpoint(path: hostile("config_many_layers"))
        XCTAssertEqual(c.config["n_layer"], .int(1_000_000_000))
        XCTAssertThrowsError(try c.checkTensorBudget(modelType: "gpt2", layers: 1_000_000_000, tensorsPerLayer: 12)) { e in
            XCTAssertEqual("\(e)", "\(hostile("config_many_layers")): the gpt2 configuration declares 1000000000 layers (12 tensors each) but the weights hold only 1 tensors in all; the configuration does not describe these weights (check n_layer / num_hidden_layers)")
        }
        XCTAssertThrowsError(try c.checkTensorBudget(modelType: "gpt2", layers: Int.max / 2, tensorsPerLayer: 12))
        XCTAssertNoThrow(try c.checkTensorBudget(modelType: "gpt2", layers: 1, tensorsPerLayer: 12),
                         "small mismatches are left to strict binding, which names every missing tensor")
    }

    // MARK: damage that libhdf5 itself does not survive

    func testDamagedGlobalHeapIsRefusedBeforeLibHDF5ReadsIt() {
        // Before: `config` silently read as "" here, and h5dump (same libhdf5) segfaults; other
        // sizes found by fuzzing crash or hang the loader inside libhdf5.
        assertMessage("damaged_global_heap", "cannot open: the file is damaged: global heap collection at byte ")
        assertMessage("damaged_global_heap", "declares 4611686018427387904 bytes, which do not fit in the collection; refused before libhdf5 reads it")
    }

    // MARK: attributes of the wrong type

    func testFormatVersionOfTheWrongTypeIsNotReportedAsMissing() {
        assertMessage("format_as_string", "the root attribute 'softq_format' has the wrong type: expected an integer (1), found a string \"1\"")
    }

    func testConfigOfTheWrongTypeIsNotReportedAsMissing() {
        assertMessage("config_as_int", "the root attribute 'config' has the wrong type: expected a JSON string, found an integer 7")
    }

    // MARK: limits on messages

    func testListSummaryCapsLongLists() {
        let names = (0..<100_000).map { "model.layers.\($0).mlp.up_proj.weight" }
        let capped = ListSummary.capped(names)
        XCTAssertEqual(capped.count, 21)
        XCTAssertEqual(capped.last, "... and 99980 more")
        XCTAssertEqual(ListSummary.capped(["a", "b"]), ["a", "b"])
    }

    /// Every hostile fixture is small, as the repository's size rule and the script promise.
    func testFixturesAreSmall() throws {
        let dir = URL(fileURLWithPath: hostile("cycle")).deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".h5") }
        XCTAssertEqual(files.count, 15)
        for name in files {
            let size = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.size] as! Int
            XCTAssertLessThan(size, 100_000, name)
        }
    }
}

final class CheckpointWriterFailureTests: XCTestCase {
    /// A checkpoint that does not fit on the disk is an error naming the file, and nothing is
    /// left behind: neither a partial checkpoint under the destination name nor the temporary.
    func testFullDiskLeavesNoCheckpoint() throws {
        try withFullDisk { dir in
            let path = dir.appendingPathComponent("policy.h5").path
            let t = Tensor(zeros: [100, 1000])  // 400 KB on a 64 KiB disk
            XCTAssertThrowsError(try CheckpointWriter(modelType: "gpt2", configText: "{}", tensors: [("w", t)]).write(to: path)) { e in
                XCTAssert("\(e)".contains("policy.h5.tmp-"), "names the file being written: \(e)")
                XCTAssert("\(e)".contains("write failed") || "\(e)".contains("cannot create"), "\(e)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        }
    }
}

/// Inputs found by `make fuzz` that crashed or hung libhdf5 1.10.8 inside the loader
/// (Fuzz/findings/fixed): each is now a typed error raised before libhdf5 reads the file.
final class FuzzFindingTests: XCTestCase {
    func testFixedFindingsAreRefusedBeforeLibHDF5ReadsThem() throws {
        let dir = TestPaths.repositoryRoot.appendingPathComponent("Fuzz/findings/fixed")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".h5") }.sorted()
        XCTAssertEqual(files, ["heap-collection-size-hang.h5", "heap-object-overrun-hang.h5", "heap-object-overrun-segv.h5"])
        for name in files {
            let path = dir.appendingPathComponent(name).path
            XCTAssertThrowsError(try Checkpoint(path: path), name) { e in
                XCTAssert("\(e)".contains("cannot open: the file is damaged: global heap collection at byte 2048"), "\(e)")
            }
        }
    }
}
