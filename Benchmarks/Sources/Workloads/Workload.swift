/// One benchmark workload: a fixed piece of allocation-heavy work, run by name.
///
/// Both `workloads` (no tracer) and `workloads-linked` (with TraceMalloc) run these, so every
/// mode of the benchmark times the same code.
public struct Workload: Sendable {
    /// The name the command line and the table use, for example `binary-trees`.
    public let name: String
    /// One line saying what the workload does at its default size.
    public let summary: String
    /// The size the benchmark runs: about 0.3–1 s untraced on the 2-core reference machine.
    public let defaultSize: Int
    /// Runs the work at a size and returns a checksum of its results.
    ///
    /// Printing the checksum keeps a release build from deleting allocations it would
    /// otherwise prove unused.
    public let run: @Sendable (_ size: Int) -> UInt64
}

extension Workload {
    /// Every workload, in the table's order: (a) through (e) of issue 6.
    public static let all: [Workload] = [
        Workload(
            name: "malloc64", summary: "(a) malloc/free of 64 bytes in C, SIZE pairs",
            defaultSize: 30_000_000, run: mallocFreeLoop),
        Workload(
            name: "binary-trees", summary: "(b) binary-trees of Swift classes, depth SIZE",
            defaultSize: 16, run: binaryTrees),
        Workload(
            name: "json", summary: "(c) Foundation JSON encode+decode of 1,000 structs, SIZE round trips",
            defaultSize: 40, run: jsonRoundTrips),
        Workload(
            name: "strings", summary: "(d) string building and dictionary churn, SIZE keys",
            defaultSize: 250_000, run: stringChurn),
        Workload(
            name: "binary-trees-2t", summary: "(e) two threads each doing binary-trees, depth SIZE",
            defaultSize: 16, run: parallelBinaryTrees),
    ]

    /// The workload called `name`, or nil.
    public static func named(_ name: String) -> Workload? {
        all.first { $0.name == name }
    }
}
