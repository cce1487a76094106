// swift-tools-version:6.2
import PackageDescription
import Foundation

// A path dependency is known by its folder's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

// Benchmarks live in their own package so the main build and `swift test` never compile them.
// Run: swift run -c release --package-path Benchmarks safegroup-bench [group|throws|codec|dashboard|isolation|crash|monitor|tracing|all]
let package = Package(
    name: "SafeGroupBenchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        .executableTarget(
            name: "safegroup-bench",
            dependencies: [
                .product(name: "SafeGroup", package: rootIdentity),
                .product(name: "GroupEvents", package: rootIdentity),
                .product(name: "GroupEventsTesting", package: rootIdentity),
                .product(name: "Dashboard", package: rootIdentity),
                .product(name: "GroupHealth", package: rootIdentity),
                .product(name: "GroupMonitor", package: rootIdentity),
                .product(name: "GroupIsolation", package: rootIdentity),
                .product(name: "SafeGroupTracing", package: rootIdentity),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
        ),
    ],
    swiftLanguageModes: [.v6]
)
