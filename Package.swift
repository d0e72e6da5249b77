// swift-tools-version: 6.0
// softq: read the rewards hidden inside trained language-model policies.
//
// Data flows one way, and each target knows only the ones before it:
//   HDF5Kit → SoftQCheckpoint → SoftQKernels/SoftQModels → SoftQRewards → SoftQEvaluation
//   → SoftQScoring → SoftQAnalysis → SoftQReport → softq (CLI)
// SoftQTokenizers and SoftQRewards are leaves: plain data in, plain data out.
import PackageDescription

let package = Package(
    name: "softq",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SoftQ", targets: [
            "SoftQBase", "HDF5Kit", "SoftQCheckpoint", "SoftQKernels", "SoftQModels", "SoftQTokenizers",
            "SoftQRewards", "SoftQEvaluation", "SoftQScoring", "SoftQSampling", "SoftQTraining",
            "SoftQAnalysis", "SoftQReport",
        ]),
        .executable(name: "softq", targets: ["softq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries, each behind one shim header; only HDF5Kit and SoftQKernels import them.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Shared plumbing every stage may use: seeded randomness, ordered JSON, atomic writes.
        .target(name: "SoftQBase"),
        .target(name: "HDF5Kit", dependencies: ["CHDF5"]),
        .target(name: "SoftQCheckpoint", dependencies: [
            "HDF5Kit", "SoftQBase", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "SoftQKernels", dependencies: ["COpenBLAS"]),
        .target(name: "SoftQModels", dependencies: ["SoftQKernels", "SoftQCheckpoint"]),
        .target(name: "SoftQTokenizers", dependencies: ["SoftQBase"]),
        .target(name: "SoftQRewards", dependencies: ["SoftQBase"]),
        .target(name: "SoftQEvaluation", dependencies: ["SoftQRewards", "SoftQBase"]),
        .target(name: "SoftQScoring", dependencies: [
            "SoftQModels", "SoftQTokenizers", "SoftQRewards", "SoftQEvaluation", "HDF5Kit",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "SoftQSampling", dependencies: ["SoftQModels", "SoftQTokenizers", "SoftQBase"]),
        .target(name: "SoftQTraining", dependencies: [
            "SoftQModels", "SoftQRewards", "SoftQTokenizers", "SoftQCheckpoint", "SoftQScoring",
        ]),
        .target(name: "SoftQAnalysis", dependencies: ["SoftQScoring", "SoftQEvaluation"]),
        .target(name: "SoftQReport", dependencies: ["SoftQEvaluation", "HDF5Kit", "SoftQBase"]),
        .executableTarget(name: "softq", dependencies: [
            "SoftQCheckpoint", "SoftQModels", "SoftQTokenizers", "SoftQRewards", "SoftQEvaluation",
            "SoftQScoring", "SoftQSampling", "SoftQTraining", "SoftQAnalysis", "SoftQReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // libFuzzer targets for hostile inputs (`make fuzz`, built in their own scratch path with
        // -sanitize=fuzzer); in an ordinary build each replays the input files it is given.
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["SoftQCheckpoint", "CLibFuzzer"]),
        .executableTarget(name: "FuzzJSON", dependencies: ["SoftQBase", "CLibFuzzer"]),

        .target(name: "TestSupport", dependencies: ["SoftQBase"], path: "Tests/TestSupport"),
        .testTarget(name: "HDF5KitTests", dependencies: ["HDF5Kit", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQCheckpointTests", dependencies: ["SoftQCheckpoint", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQKernelsTests", dependencies: ["SoftQKernels", "TestSupport"]),
        .testTarget(name: "SoftQModelsTests", dependencies: ["SoftQModels", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQTokenizersTests", dependencies: ["SoftQTokenizers", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQRewardsTests", dependencies: ["SoftQRewards", "TestSupport"]),
        .testTarget(name: "SoftQEvaluationTests", dependencies: ["SoftQEvaluation", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQScoringTests", dependencies: ["SoftQScoring", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQSamplingTests", dependencies: ["SoftQSampling", "SoftQScoring", "TestSupport"]),
        .testTarget(name: "SoftQTrainingTests", dependencies: ["SoftQTraining", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQAnalysisTests", dependencies: ["SoftQAnalysis", "TestSupport"]),
        .testTarget(name: "SoftQReportTests", dependencies: ["SoftQReport", "TestSupport"]),
        .testTarget(name: "SoftQBaseTests", dependencies: ["SoftQBase", "TestSupport"]),
        .testTarget(name: "softqCLITests", dependencies: ["TestSupport", "SoftQBase"]),
    ],
    swiftLanguageModes: [.v5]
)
