import Workloads

/// One row of a timing table: a workload or a program, and what its untraced mode runs.
struct Row: Sendable {
    /// The key of its runs, for example `binary-trees` or `c-binary-trees`.
    var name: String
    /// The first cell, for example `(b) binary-trees`.
    var label: String
    /// What runs untraced; the traced modes run it under a tracer or in a linked binary.
    var target: Target
    /// Whether the row counts in its table's geometric means.
    var inGeomean: Bool
    /// For a program built without frame pointers, the row of the same program built with them.
    var framePointerTwin: String? = nil
}

/// What a row runs untraced.
enum Target: Sendable {
    /// A workload of the `workloads` binary, which the linked binaries run as well, with its
    /// arguments.
    case workload([String])
    /// A program of its own, which only the modes wrapping a command (run, heaptrack) can trace;
    /// or why it cannot run.
    case program(Result<Command, Unavailable>)
}

extension Row {
    /// The row of workload `workload` at its default size; (a), pure malloc/free, stays out of
    /// the geometric means.
    init(_ workload: Workload) {
        let letter = workload.summary.prefix { $0 != " " }
        self.init(
            name: workload.name, label: "\(letter) \(workload.name)", target: .workload([workload.name]),
            inGeomean: workload.name != "malloc64")
    }
}
