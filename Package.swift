// swift-tools-version:6.2
import PackageDescription

// MARK: - Core: no dependencies beyond the toolchain (stdlib, Synchronization, Runtime)

let coreTargets: [Target] = [
    .target(name: "GroupEvents"),
    .target(name: "GroupEventsTesting", dependencies: ["GroupEvents"]),
    .target(name: "SafeGroup", dependencies: ["GroupEvents"]),
    // Per-site statistics and warnings over events: pure, so a user's test can assert "no
    // warnings" over an InMemoryEventSink. HdrHistogram's `Histogram` is a value type (no I/O).
    .target(
        name: "GroupHealth",
        dependencies: [
            "GroupEvents",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]
    ),
]

// MARK: - In-service and system: sockets, processes, C shims

let systemTargets: [Target] = [
    // Not "CSystem": swift-system (in the graph of every package that uses swift-nio) has a target
    // of that name, and SwiftPM refuses two targets of one name in a package graph.
    .target(name: "CSafeGroupSystem", path: "Sources/CSystem"),
    // The one system layer (package access): every system call behind one retrying wrapper and
    // one error type, threads, eventfd, poll, clocks, signal names, the signal watcher.
    .target(name: "SystemCalls", dependencies: ["GroupEvents", "CSafeGroupSystem"]),
    // The socket's server side, in the service: monitor thread, buffers, recorder, last gasp.
    .target(name: "GroupMonitor", dependencies: ["GroupEvents", "SystemCalls", "CSafeGroupSystem"]),
    // The socket's client side, for viewers: connect, decode, reconnect, find services.
    .target(name: "MonitorClient", dependencies: ["GroupEvents", "SystemCalls"]),
    // Supervised worker processes for isolated children (FoundationEssentials only to read the
    // backtracer's JSON crash report).
    .target(
        name: "GroupIsolation",
        dependencies: ["SafeGroup", "GroupEvents", "SystemCalls", .product(name: "DequeModule", package: "swift-collections")]
    ),
]

// MARK: - Integrations with the Swift server ecosystem: each a product of its own, so the core
// never depends on swift-service-lifecycle, swift-log or swift-metrics.

let integrationTargets: [Target] = [
    .target(
        name: "SafeGroupLifecycle",
        dependencies: [
            "SafeGroup", "GroupEvents", "GroupMonitor",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]
    ),
    .target(
        name: "SafeGroupLogging",
        dependencies: ["GroupEvents", "GroupMonitor", .product(name: "Logging", package: "swift-log")]
    ),
    .target(
        name: "SafeGroupMetrics",
        dependencies: ["GroupEvents", "GroupMonitor", .product(name: "CoreMetrics", package: "swift-metrics")]
    ),
    // Groups and children as spans, through the core's GroupInstrument hook (docs/FLEET.md).
    .target(
        name: "SafeGroupTracing",
        dependencies: ["GroupEvents", .product(name: "Tracing", package: "swift-distributed-tracing")]
    ),
]

// MARK: - The dashboard: pure state and rendering, and the one module that touches curses

let dashboardTargets: [Target] = [
    // No pkgConfig: ncursesw's .pc adds -D flags SwiftPM refuses with a warning on every build; the
    // headers are in the default path and the module map links ncursesw and tinfo itself.
    .systemLibrary(name: "CNcurses", path: "CNcurses", providers: [.apt(["libncurses-dev"])]),
    .target(name: "Dashboard", dependencies: ["GroupEvents", "GroupHealth", .product(name: "DequeModule", package: "swift-collections")]),
    // CSafeGroupSystem for the terminal rescue's signal handler (C, like every handler that must be async-signal-safe).
    .target(name: "TerminalUI", dependencies: ["Dashboard", "CNcurses", "CSafeGroupSystem"]),
]

// MARK: - Examples (executables that tests run, so they never rot)

let exampleTargets: [Target] = [
    .executableTarget(
        name: "safegroup-example",
        // SafeGroup alone (it re-exports GroupEvents), as a user's program would.
        dependencies: ["SafeGroup", "GroupEventsTesting"],
        path: "Examples/QuickStart"
    ),
    // The README's opening example: a ServiceGroup running the monitor and a long-lived group.
    .executableTarget(
        name: "safegroup-service-example",
        dependencies: [
            "SafeGroup", "SafeGroupLifecycle", "GroupMonitor",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Examples/ServiceGroup"
    ),
    // The metrics sink feeding swift-prometheus, printed in Prometheus text format.
    .executableTarget(
        name: "safegroup-prometheus-example",
        dependencies: [
            "SafeGroup", "GroupEvents", "SafeGroupMetrics",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ],
        path: "Examples/Prometheus"
    ),
]

// MARK: - The command line: `safegroup` (list, record, dump; attach, replay and demo in the dashboard)

let commandTargets: [Target] = [
    // Not named `safegroup`: a module differing from `SafeGroup` only in case clashes on
    // case-insensitive file systems. The product gives the binary its name.
    .executableTarget(
        name: "SafeGroupCLI",
        dependencies: [
            "GroupEvents", "MonitorClient", "GroupIsolation", "Dashboard", "TerminalUI", "DemoWorkloads", "SystemCalls",
            "GroupHealth",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Sources/safegroup"
    ),
]

// MARK: - Demo: realistic workloads, and an instrumented service to attach to

let demoTargets: [Target] = [
    .target(name: "DemoWorkloads", dependencies: ["SafeGroup", "GroupEvents", "GroupIsolation", "SystemCalls"], path: "demo/Workloads"),
    // The service's command, a library so that Examples/OTel builds it with an OTLP exporter.
    .target(
        name: "DemoServiceKit",
        dependencies: [
            "DemoWorkloads", "GroupEvents", "GroupMonitor", "GroupIsolation", "SafeGroup", "SafeGroupLifecycle", "SafeGroupTracing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "demo/Service"
    ),
    .executableTarget(name: "demo-service", dependencies: ["DemoServiceKit"], path: "demo/ServiceMain"),
]

// MARK: - Tests

let testTargets: [Target] = [
    // What every test target shares: scratch directories, child processes, a seeded generator,
    // awaiting a condition. Foundation only.
    .target(name: "TestSupport", path: "Tests/Support"),
    .testTarget(
        name: "GroupEventsTests",
        dependencies: [
            "GroupEvents", "GroupEventsTesting",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]
    ),
    .testTarget(
        name: "GroupMonitorTests",
        dependencies: ["TestSupport", "GroupMonitor", "MonitorClient", "GroupEvents", "SafeGroup", "SystemCalls", "CSafeGroupSystem"]
    ),
    // Key decoding and the terminal guard's signal handling, without a terminal.
    .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "Dashboard", "CNcurses"]),
    // Snapshot files are read by path at test time, not bundled.
    .testTarget(name: "DashboardTests", dependencies: ["TestSupport", "Dashboard", "GroupEvents", "GroupHealth"], exclude: ["__Snapshots__"]),
    .testTarget(name: "GroupHealthTests", dependencies: ["TestSupport", "GroupHealth", "GroupEvents", "GroupEventsTesting", "SafeGroup"]),
    // A second process for GroupMonitorTests (kill -9, second instance, another uid, fd counts).
    .executableTarget(
        name: "monitor-fixture",
        dependencies: ["GroupMonitor", "GroupEvents", "SafeGroup", "CSafeGroupSystem"],
        path: "Tests/Fixtures/MonitorFixture"
    ),
    // Jobs that really trap, for GroupIsolationTests and the worker binary that runs them.
    .target(name: "IsolationTestJobs", dependencies: ["GroupIsolation", "SafeGroup"], path: "Tests/Fixtures/IsolationJobs"),
    .executableTarget(
        name: "isolation-fixture",
        dependencies: ["GroupIsolation", "IsolationTestJobs"],
        path: "Tests/Fixtures/IsolationFixture"
    ),
    // Runs isolation-fixture as the pool's workers, so it depends on it.
    .testTarget(
        name: "GroupIsolationTests",
        dependencies: ["TestSupport", "GroupIsolation", "IsolationTestJobs", "SafeGroup", "GroupEvents", "GroupEventsTesting", "isolation-fixture"]
    ),
    .testTarget(
        name: "SafeGroupTests",
        dependencies: [
            "TestSupport", "SafeGroup", "GroupEvents", "GroupEventsTesting", "safegroup-example",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]
    ),
    // Runs the built `safegroup` and monitor-fixture, so it depends on them.
    .testTarget(
        name: "SafeGroupCLITests",
        dependencies: ["TestSupport", "GroupMonitor", "MonitorClient", "GroupEvents", "Dashboard", "SafeGroupCLI", "SystemCalls", "monitor-fixture"]
    ),
    // Runs the built `safegroup` (and demo-service) inside tmux, so it depends on them.
    .testTarget(name: "DashboardE2ETests", dependencies: ["TestSupport", "GroupEvents", "SafeGroupCLI", "demo-service"]),
    .testTarget(
        name: "SafeGroupLifecycleTests",
        dependencies: [
            "TestSupport", "SafeGroupLifecycle", "SafeGroup", "GroupEvents", "GroupEventsTesting", "GroupMonitor",
            "safegroup-service-example",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .testTarget(
        name: "SafeGroupLoggingTests",
        dependencies: [
            "SafeGroupLogging", "SafeGroup", "GroupEvents", "GroupMonitor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "InMemoryLogging", package: "swift-log"),
        ]
    ),
    .testTarget(
        name: "SafeGroupMetricsTests",
        dependencies: [
            "TestSupport", "SafeGroupMetrics", "SafeGroup", "GroupEvents", "GroupMonitor", "safegroup-prometheus-example",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]
    ),
    // The worker binary of SafeGroupTracingTests' isolated child (an in-memory tracer in the worker).
    .executableTarget(
        name: "tracing-fixture",
        dependencies: [
            "GroupIsolation", "SafeGroupTracing",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
        ],
        path: "Tests/Fixtures/TracingFixture"
    ),
    .testTarget(
        name: "SafeGroupTracingTests",
        dependencies: [
            "TestSupport", "SafeGroupTracing", "SafeGroup", "GroupEvents", "GroupEventsTesting", "GroupIsolation", "tracing-fixture",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
        ]
    ),
    // Runs the built demo-service, so it depends on it.
    .testTarget(
        name: "DemoTests",
        dependencies: ["TestSupport", "DemoWorkloads", "SafeGroup", "GroupEvents", "GroupEventsTesting", "GroupIsolation", "demo-service"]
    ),
]

let package = Package(
    name: "SafeGroup",
    // Linux only: the code uses eventfd, CLOCK_BOOTTIME, SO_PEERCRED and Glibc by name, and CI
    // builds and tests nothing else, so no other platform is claimed.
    products: [
        .library(name: "GroupEvents", targets: ["GroupEvents"]),
        .library(name: "GroupEventsTesting", targets: ["GroupEventsTesting"]),
        .library(name: "GroupHealth", targets: ["GroupHealth"]),
        .library(name: "SafeGroup", targets: ["SafeGroup"]),
        .library(name: "GroupMonitor", targets: ["GroupMonitor"]),
        .library(name: "MonitorClient", targets: ["MonitorClient"]),
        .library(name: "GroupIsolation", targets: ["GroupIsolation"]),
        .library(name: "Dashboard", targets: ["Dashboard"]),
        .executable(name: "safegroup", targets: ["SafeGroupCLI"]),
        .library(name: "SafeGroupLifecycle", targets: ["SafeGroupLifecycle"]),
        .library(name: "SafeGroupLogging", targets: ["SafeGroupLogging"]),
        .library(name: "SafeGroupMetrics", targets: ["SafeGroupMetrics"]),
        .library(name: "SafeGroupTracing", targets: ["SafeGroupTracing"]),
        // For Examples/OTel, which builds demo-service with an OTLP exporter (docs/FLEET.md).
        .library(name: "DemoServiceKit", targets: ["DemoServiceKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: coreTargets + systemTargets + integrationTargets + dashboardTargets + commandTargets + exampleTargets + demoTargets + testTargets,
    swiftLanguageModes: [.v6]
)

// Strict settings for every target, in one place.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
