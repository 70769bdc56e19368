// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-tracemalloc",
    products: [
        .library(name: "TraceMalloc", targets: ["TraceMalloc"]),
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
        .testTarget(
            name: "TraceMallocTests",
            dependencies: ["TraceMalloc"]
        ),
    ]
)
