// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-bench", targets: ["cairn-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Pure: canonical JSON, hashing, keys, signed notes, Merkle proofs, notices, genesis, policies.
        .target(
            name: "CairnCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Pure: the contract language (lexer, parser, checker, metered interpreter, auditor's report).
        .target(name: "CairnScript", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Runs conformance rows on stdin for other implementations: see docs/contracts.md.
        .executableTarget(name: "cairn-script-conformance", dependencies: ["CairnScript"]),
        // libxml2 (a system library; libxml2-dev): XSD validation and XML parsing for ISO 20022.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Export formats: JSON Lines, CSV, ISO 20022 camt.053 and camt.054; pacs.008 import.
        .target(name: "CairnExport", dependencies: ["CLibXML2"], resources: [.copy("Schemas")]),
        // Pure: the state machine that applies blocks.
        .target(name: "CairnLedger", dependencies: ["CairnCore", "CairnScript"]),
        // Durable storage: SQLite through GRDB, and an in-memory twin.
        .target(
            name: "CairnStore",
            dependencies: ["CairnLedger", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnStore",
                "CairnScript",
                "CairnExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The benchmark harness; nothing depends on it.
        .executableTarget(
            name: "cairn-bench",
            dependencies: ["CairnStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/cairn-bench"
        ),
        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"]),
        .testTarget(name: "CairnScriptTests", dependencies: ["CairnScript"]),
        .testTarget(name: "CairnExportTests", dependencies: ["CairnExport"], resources: [.copy("Resources")]),
        .testTarget(name: "CairnLedgerTests", dependencies: ["CairnLedger"]),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore"]),
        .testTarget(name: "CLITests", dependencies: ["CairnCore"]),
    ]
)
