// swift-tools-version:6.2
import PackageDescription
import Foundation

// A path dependency is known by its folder's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

// demo-service with an OTLP exporter, in a package of its own: swift-otel's first build takes
// about 7 minutes here, and it must not land on every `swift build` of SafeGroup (docs/FLEET.md).
// Build: swift build --package-path Examples/OTel
// Check end to end: Examples/OTel/check.sh
let package = Package(
    name: "SafeGroupOTel",
    dependencies: [
        .package(path: "../.."),
        // OTLP/HTTP only: the gRPC exporter's packages would double the first build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "demo-service-otlp",
            dependencies: [
                .product(name: "DemoServiceKit", package: rootIdentity),
                .product(name: "SafeGroupTracing", package: rootIdentity),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
