// swift-tools-version:6.0
import PackageDescription

// Dependencies point inward: the CLI uses the store, the store uses the core,
// and the core does no I/O. Heavy packages are linked only where they are needed.
let package = Package(
    name: "Roster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roster", targets: ["roster"]),
        .library(name: "RosterCore", targets: ["RosterCore"]),
        .library(name: "RosterStore", targets: ["RosterStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        // Key files (PKCS #8 and SubjectPublicKeyInfo PEM); already in the graph through swift-certificates.
        .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
        // The network edge only: the HTTPS node server, the peer client and certificates.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        // GET /metrics: Prometheus text from swift-metrics (already in the graph through Hummingbird).
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        // The public page at /: server-rendered templates, no build step.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
    ],
    targets: [
        // Debian's libidn2 (IDNA2008 / UTS 46), so that no punycode tables are written by hand.
        .systemLibrary(
            name: "CIDN2",
            pkgConfig: "libidn2",
            providers: [.apt(["libidn2-dev"])]
        ),
        // The system OpenSSL's libcrypto (libssl-dev), for the national signature suites
        // only; BoringSSL inside swift-crypto and swift-nio-ssl stays as it is.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "NationalSuites",
            dependencies: ["RosterCore", "COpenSSL"]
        ),
        .target(
            name: "RosterCore",
            dependencies: [
                "CIDN2",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "RosterStore",
            dependencies: [
                "RosterCore",
                "NationalSuites",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // HTTPS sync between peers: mutual TLS pinned to peer descriptors.
        .target(
            name: "RosterNetwork",
            dependencies: [
                "RosterCore",
                "RosterStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .executableTarget(
            name: "roster",
            dependencies: [
                "RosterCore",
                "RosterStore",
                "RosterNetwork",
                "NationalSuites",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "roster-bench",
            dependencies: ["RosterCore", "RosterStore", "RosterNetwork", "NationalSuites"]
        ),
        // Generators shared by the test targets: seeded replicas that write concurrently.
        .target(
            name: "RosterTestSupport",
            dependencies: ["RosterCore"],
            path: "Tests/RosterTestSupport"
        ),
        .testTarget(
            name: "RosterCoreTests",
            dependencies: ["RosterCore", "RosterTestSupport"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "RosterStoreTests",
            dependencies: ["RosterCore", "RosterStore", "RosterTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "NationalSuitesTests",
            dependencies: ["RosterCore", "NationalSuites"]
        ),
        .testTarget(
            name: "RosterNetworkTests",
            dependencies: [
                "RosterCore",
                "RosterNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RosterCLITests",
            dependencies: ["RosterCore", "RosterStore", "RosterTestSupport", "roster", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["fake_peer.py", "fuzz_routes.py", "forging_log.py", "taxii_pull.py", "read_metrics.py", "openapi_bundle.py", "openapi_generate.py", "schemathesis_hooks.py", "schemathesis.toml", "browse_page.py"]
        ),
    ]
)
