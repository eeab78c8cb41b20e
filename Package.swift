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
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
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
        .target(name: "CairnExport", dependencies: ["CairnCore", "CLibXML2"], resources: [.copy("Schemas")]),
        // Pure: the state machine that applies blocks.
        .target(name: "CairnLedger", dependencies: ["CairnCore", "CairnScript"]),
        // Durable storage: SQLite through GRDB, and an in-memory twin.
        .target(
            name: "CairnStore",
            dependencies: [
                "CairnLedger", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The node: the HTTP API (Hummingbird 2, TLS 1.3, mTLS), the witness, and their client.
        .target(
            name: "CairnNode",
            dependencies: [
                "CairnStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnStore",
                "CairnNode",
                "CairnScript",
                "CairnExport",
                // The OpenTelemetry exporter lives in the executable only: no library depends on it.
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The benchmark harness; nothing depends on it.
        .executableTarget(
            name: "cairn-bench",
            dependencies: [
                "CairnStore", "CairnNode", "CairnScript", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/cairn-bench"
        ),
        // The seeded generator and mutations of the parser fuzz suites; only tests depend on it.
        .target(name: "CairnFuzzSupport", dependencies: ["CairnCore"], path: "Tests/FuzzSupport"),
        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore", "CairnFuzzSupport"]),
        .testTarget(name: "CairnScriptTests", dependencies: ["CairnScript"]),
        .testTarget(
            name: "CairnExportTests", dependencies: ["CairnExport", "CairnCore", "CairnFuzzSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "CairnLedgerTests", dependencies: ["CairnLedger", "CairnFuzzSupport"]),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore"]),
        .testTarget(name: "CLITests", dependencies: ["CairnCore"]),
        .testTarget(name: "CairnNodeTests", dependencies: ["CairnNode"]),
    ]
)
