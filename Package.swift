// swift-tools-version: 6.0
// softq: read the rewards hidden inside trained language-model policies.
//
// The dependency graph, the only drawing of it (README and docs link here). Data flows one way:
// checkpoint → model → logits → soft-Q rewards → evaluations → exports. SoftQBase (seeded
// randomness, ordered JSON, atomic writes, SHA-256 through Crypto, run directories) is imported
// by every Swift target and not drawn.
//
//   C shims      CHDF5 → HDF5Kit                      COpenBLAS → SoftQKernels
//   a policy     HDF5Kit → SoftQCheckpoint;  SoftQCheckpoint + SoftQKernels → SoftQModels
//   plain data   SoftQTokenizers   SoftQTemplates   SoftQRewards   SoftQEvaluation  (leaves: no model, no file)
//   runs         SoftQModels → SoftQSampling
//                SoftQModels + SoftQTokenizers + SoftQTemplates + SoftQRewards + SoftQEvaluation
//                    (+ SoftQCheckpoint, SoftQKernels, HDF5Kit) → SoftQScoring
//                SoftQScoring + SoftQRewards + SoftQEvaluation → SoftQAnalysis
//                SoftQScoring (the input reader, tokenization policy, special tokens) + SoftQModels
//                    (the configuration decoder) + SoftQCheckpoint + SoftQKernels + SoftQTokenizers
//                    + SoftQRewards + HDF5Kit → SoftQTraining (its own GPT-2 with gradients)
//                SoftQEvaluation + HDF5Kit → SoftQReport (reads run directories, not models)
//   CLI          all of them → softq
//
// Every target (tests too) declares exactly the targets its sources import, no more, no less:
// `make test` builds with --explicit-target-dependency-import-check=error (an import that is
// not declared fails the build) and Scripts/tests/test_dependency_graph.py fails on a
// declaration that nothing imports.
import PackageDescription

let package = Package(
    name: "softq",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SoftQ", targets: [
            "SoftQBase", "HDF5Kit", "SoftQCheckpoint", "SoftQKernels", "SoftQModels", "SoftQTokenizers",
            "SoftQRewards", "SoftQEvaluation", "SoftQScoring", "SoftQSampling", "SoftQTraining",
            "SoftQAnalysis", "SoftQReport", "SoftQTemplates",
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

        // Shared plumbing every stage may use: seeded randomness, ordered JSON, atomic writes,
        // run directories (manifest, lock, resume progress) and file hashing.
        .target(name: "SoftQBase", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "HDF5Kit", dependencies: ["CHDF5"]),
        .target(name: "SoftQCheckpoint", dependencies: ["HDF5Kit", "SoftQBase"]),
        .target(name: "SoftQKernels", dependencies: ["COpenBLAS", "SoftQBase"]),
        .target(name: "SoftQModels", dependencies: ["SoftQKernels", "SoftQCheckpoint", "SoftQBase"]),
        .target(name: "SoftQTokenizers", dependencies: ["SoftQBase"]),
        // Chat templates: a small Jinja interpreter with jinja2's semantics under transformers' settings.
        .target(name: "SoftQTemplates", dependencies: ["SoftQBase"]),
        .target(name: "SoftQRewards", dependencies: ["SoftQBase"]),
        .target(name: "SoftQEvaluation", dependencies: ["SoftQBase"]),
        .target(name: "SoftQScoring", dependencies: [
            "SoftQModels", "SoftQTokenizers", "SoftQTemplates", "SoftQRewards", "SoftQEvaluation", "SoftQCheckpoint",
            "SoftQKernels", "HDF5Kit", "SoftQBase",
        ]),
        .target(name: "SoftQSampling", dependencies: ["SoftQModels", "SoftQBase"]),
        .target(name: "SoftQTraining", dependencies: [
            "SoftQScoring", "SoftQModels", "SoftQRewards", "SoftQTokenizers", "SoftQCheckpoint", "SoftQKernels", "HDF5Kit", "SoftQBase",
        ]),
        .target(name: "SoftQAnalysis", dependencies: ["SoftQScoring", "SoftQEvaluation", "SoftQRewards", "SoftQBase"]),
        .target(name: "SoftQReport", dependencies: ["SoftQEvaluation", "HDF5Kit", "SoftQBase"]),
        .executableTarget(name: "softq", dependencies: [
            "SoftQCheckpoint", "SoftQModels", "SoftQTokenizers", "SoftQRewards", "SoftQEvaluation",
            "SoftQScoring", "SoftQSampling", "SoftQTraining", "SoftQAnalysis", "SoftQReport", "SoftQBase", "SoftQKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // libFuzzer targets for hostile inputs (`make fuzz`, built in their own scratch path with
        // -sanitize=fuzzer); in an ordinary build each replays the input files it is given.
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["SoftQCheckpoint", "CLibFuzzer"]),
        .executableTarget(name: "FuzzJSON", dependencies: ["SoftQBase", "CLibFuzzer"]),
        .executableTarget(name: "FuzzPairReader", dependencies: ["SoftQScoring", "CLibFuzzer"]),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["SoftQTokenizers", "CLibFuzzer"]),
        .executableTarget(name: "FuzzChatTemplate", dependencies: ["SoftQTemplates", "SoftQBase", "CLibFuzzer"]),

        .target(name: "TestSupport", dependencies: ["SoftQKernels"], path: "Tests/TestSupport"),
        .testTarget(name: "HDF5KitTests", dependencies: ["HDF5Kit", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQCheckpointTests", dependencies: ["SoftQCheckpoint", "HDF5Kit", "SoftQBase", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQKernelsTests", dependencies: ["SoftQKernels", "SoftQBase", "TestSupport"]),
        .testTarget(name: "SoftQModelsTests", dependencies: ["SoftQModels", "SoftQCheckpoint", "SoftQKernels", "SoftQBase", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQTokenizersTests", dependencies: ["SoftQTokenizers", "SoftQBase", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQTemplatesTests", dependencies: ["SoftQTemplates", "SoftQBase"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQRewardsTests", dependencies: ["SoftQRewards", "SoftQBase", "TestSupport"]),
        .testTarget(name: "SoftQEvaluationTests", dependencies: ["SoftQEvaluation", "SoftQBase", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQScoringTests", dependencies: [
            "SoftQScoring", "SoftQModels", "SoftQCheckpoint", "SoftQKernels", "SoftQTokenizers", "SoftQRewards",
            "SoftQBase", "TestSupport",
        ],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQSamplingTests", dependencies: [
            "SoftQSampling", "SoftQScoring", "SoftQModels", "SoftQRewards", "SoftQBase", "TestSupport",
        ]),
        .testTarget(name: "SoftQTrainingTests", dependencies: [
            "SoftQTraining", "SoftQScoring", "SoftQTokenizers", "SoftQModels", "SoftQCheckpoint", "SoftQRewards", "SoftQBase", "TestSupport",
        ],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftQAnalysisTests", dependencies: [
            "SoftQAnalysis", "SoftQScoring", "SoftQEvaluation", "SoftQRewards", "SoftQBase", "TestSupport",
        ]),
        .testTarget(name: "SoftQReportTests", dependencies: [
            "SoftQReport", "SoftQEvaluation", "HDF5Kit", "SoftQBase", "TestSupport",
        ]),
        .testTarget(name: "SoftQBaseTests", dependencies: ["SoftQBase", "TestSupport"]),
        .testTarget(name: "softqCLITests", dependencies: ["TestSupport", "SoftQBase", "SoftQCheckpoint", "HDF5Kit"]),
    ]
)
