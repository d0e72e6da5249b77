import XCTest
@testable import SoftQKernels

/// The advice `softq bench` prints when OpenBLAS picked slow kernels for a capable CPU, and the
/// /proc/cpuinfo reading it rests on.
final class KernelAdviceTests: XCTestCase {
    func testCPUFlagsAreReadFromTheFirstProcessor() {
        let text = """
        processor\t: 0
        model name\t: Intel(R) Xeon(R) Processor
        flags\t\t: fpu sse3 avx2 fma avx512f
        processor\t: 1
        flags\t\t: fpu sse3

        """
        XCTAssertEqual(CPUFlags.parse(cpuinfo: text), ["fpu", "sse3", "avx2", "fma", "avx512f"])
        XCTAssertEqual(CPUFlags.parse(cpuinfo: "Features\t: fp asimd crc32\n"), ["fp", "asimd", "crc32"])
        XCTAssertEqual(CPUFlags.parse(cpuinfo: "model name : x\n"), [])
    }

    func testAdviceOnlyForAFallbackFamilyOnACapableCPU() throws {
        let avx512: Set<String> = ["sse3", "avx2", "fma", "avx512f"]
        let avx2: Set<String> = ["sse3", "avx2", "fma"]
        let advice512 = try XCTUnwrap(BLAS.kernelAdvice(coreName: "Prescott", cpuFlags: avx512))
        XCTAssertTrue(advice512.contains("OPENBLAS_CORETYPE=SkylakeX"), advice512)
        let advice2 = try XCTUnwrap(BLAS.kernelAdvice(coreName: "Prescott", cpuFlags: avx2))
        XCTAssertTrue(advice2.contains("OPENBLAS_CORETYPE=Haswell"), advice2)
        XCTAssertFalse(advice2.contains("SkylakeX"), advice2)
        // The right family already, or a CPU whose best kernels are the SSE ones: nothing to say.
        XCTAssertNil(BLAS.kernelAdvice(coreName: "Haswell", cpuFlags: avx512))
        XCTAssertNil(BLAS.kernelAdvice(coreName: "SkylakeX", cpuFlags: avx512))
        XCTAssertNil(BLAS.kernelAdvice(coreName: "Prescott", cpuFlags: ["sse3", "avx"]))
        XCTAssertNil(BLAS.kernelAdvice(coreName: "Prescott", cpuFlags: []))
    }

    func testCoreNameIsKnown() {
        XCTAssertFalse(BLAS.coreName.isEmpty)
        XCTAssertNotEqual(BLAS.coreName, "unknown")
    }
}
