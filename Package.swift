// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-tracemalloc",
    products: [
        .library(name: "TraceMalloc", targets: ["TraceMalloc"]),
        // The same library as a shared object. Linked into an executable, the hooks sit in the
        // executable, far from the Swift runtime that calls malloc; in a shared object they sit
        // beside it (measured, not tracing: binary-trees 1.12x linked statically, ~1.00x so).
        .library(name: "TraceMallocDynamic", type: .dynamic, targets: ["TraceMalloc"]),
        .executable(name: "swift-tracemalloc", targets: ["swift-tracemalloc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The tracing core: malloc-family hooks, stack capture and tables. C, because the
        // malloc path may not run Swift, allocate or take a lock that can self-deadlock.
        .target(
            name: "CTraceMalloc",
            linkerSettings: [.linkedLibrary("gcc_s")]
        ),
        .target(
            name: "TraceMalloc",
            dependencies: ["CTraceMalloc"]
        ),
        // The tool. Its build also makes libTraceMallocPreload.so, the tracer `run` preloads into
        // unmodified programs: the same C core, linked by clang so that it needs no Swift
        // runtime (see the plugin), placed in the tool's resources folder.
        .executableTarget(
            name: "swift-tracemalloc",
            dependencies: [
                "TraceMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["TraceMallocPreload"]
        ),
        .plugin(name: "TraceMallocPreload", capability: .buildTool()),
        // The README demo's sample program: built without TraceMalloc, traced by `run`.
        .executableTarget(name: "tracemalloc-demo"),
        .testTarget(
            name: "TraceMallocTests",
            dependencies: ["TraceMalloc"]
        ),
        .testTarget(
            name: "SwiftTraceMallocTests",
            dependencies: ["swift-tracemalloc"]
        ),
    ]
)
