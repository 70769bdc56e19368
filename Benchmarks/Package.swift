// swift-tools-version: 6.1
import PackageDescription

// The overhead benchmarks (issue 6): what tracing costs, side by side with heaptrack.
// Run them with `Benchmarks/run` from the repository root; see Benchmarks/README.md.
let package = Package(
    name: "Benchmarks",
    dependencies: [
        .package(name: "swift-tracemalloc", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The C half of the workloads: allocation loops and call sites the compiler cannot merge.
        .target(name: "CWorkloads"),
        // Every workload, compiled once into both executables below so they run identical code.
        .target(name: "Workloads", dependencies: ["CWorkloads"]),
        // The workloads without TraceMalloc: the binary `swift-tracemalloc run`, heaptrack and
        // nothing trace alike.
        .executableTarget(name: "workloads", dependencies: ["Workloads"]),
        // The same workloads linked with TraceMalloc as a shared object (TraceMallocDynamic, the
        // product for programs that ship with tracing available), traced when SWIFTTRACEMALLOC=N.
        .executableTarget(
            name: "workloads-linked",
            dependencies: [
                "Workloads",
                .product(name: "TraceMallocDynamic", package: "swift-tracemalloc"),
            ]
        ),
        // The same again with the static TraceMalloc product: its main.swift is a link to
        // workloads-linked's, so the two differ only in how the tracer is linked.
        .executableTarget(
            name: "workloads-linked-static",
            dependencies: [
                "Workloads",
                .product(name: "TraceMalloc", package: "swift-tracemalloc"),
            ]
        ),
        // The costs measured through TraceMalloc's API: tracer memory per live block, snapshot,
        // statistics, dump, load and symbolising times.
        .executableTarget(
            name: "tracer-costs",
            dependencies: [
                "Workloads",
                .product(name: "TraceMalloc", package: "swift-tracemalloc"),
            ]
        ),
        // The driver: runs every mode interleaved and prints the table and the goals.
        .executableTarget(
            name: "bench",
            dependencies: [
                "Workloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads"]),
        .testTarget(name: "BenchTests", dependencies: ["bench"]),
    ]
)
