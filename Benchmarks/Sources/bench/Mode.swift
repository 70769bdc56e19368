import Foundation

/// One way of running a workload or a program: a column of a table.
enum Mode: String, Sendable {
    /// `workloads`, no tracer anywhere: the baseline of every ratio.
    case untraced
    /// `workloads-linked` (TraceMallocDynamic) with tracing off: the cost of the hooks when
    /// nobody traces.
    case linked
    /// `workloads-linked-static` (the static TraceMalloc product) with tracing off.
    case linkedStatic
    /// `workloads` with the tracer preloaded (LD_PRELOAD) and not tracing: the hooks alone, in
    /// the very binary of the baseline, apart from anything linking changes in the executable.
    case preloaded
    /// `workloads-linked` with SWIFTTRACEMALLOC=1.
    case nframe1
    /// `workloads-linked` with SWIFTTRACEMALLOC=25.
    case nframe25
    /// `swift-tracemalloc run --nframe 1 -- PROGRAM …`.
    case run1
    /// `swift-tracemalloc run --nframe 25 -- PROGRAM …`: the preloaded tracer, its dump at exit
    /// and the tool's conversion of it.
    case run25
    /// `heaptrack workloads …`, writing its own file.
    case heaptrack

    /// The column heading.
    var title: String {
        switch self {
        case .untraced: "untraced"
        case .linked: "linked, off"
        case .linkedStatic: "linked static, off"
        case .preloaded: "preloaded, off"
        case .nframe1: "nframe 1"
        case .nframe25: "nframe 25"
        case .run1: "run --nframe 1"
        case .run25: "run --nframe 25"
        case .heaptrack: "heaptrack"
        }
    }

    /// The modes of the workloads' tables, in their order.
    static let workloadModes: [Mode] = [
        .untraced, .linked, .linkedStatic, .preloaded, .nframe1, .nframe25, .run25, .heaptrack,
    ]

    /// The modes of the programs' table (issue 11): those that trace a program as it was built.
    static let programModes: [Mode] = [.untraced, .run1, .run25, .heaptrack]

    /// The command that runs `target` in this mode, or why this mode cannot run it.
    ///
    /// Untraced, `run` and heaptrack run any target; the other modes run a workload in the
    /// linked binaries or with the tracer preloaded.
    ///
    /// - Parameter scratch: a directory for the files the tracers write.
    func command(_ target: Target, tools: Tools, scratch: String) -> Result<Command, Unavailable> {
        let untraced: Result<Command, Unavailable>
        switch target {
        case .workload(let arguments): untraced = tools.workloads.command(arguments)
        case .program(let command): untraced = command
        }
        switch self {
        case .untraced:
            return untraced
        case .run1, .run25:
            let options = ["run", "--nframe", self == .run1 ? "1" : "25", "--output", scratch + "/run.tm", "--"]
            return untraced.flatMap { $0.wrapped(by: tools.swiftTraceMalloc, options) }
        case .heaptrack:
            return untraced.flatMap { $0.wrapped(by: tools.heaptrack, ["-o", scratch + "/heaptrack"]) }
        case .linked, .linkedStatic, .preloaded, .nframe1, .nframe25:
            guard case .workload(let arguments) = target else {
                return .failure(Unavailable("\(title) runs only the workloads"))
            }
            switch self {
            case .linked:
                return tools.linked.command(arguments)
            case .linkedStatic:
                return tools.linkedStatic.command(arguments)
            case .preloaded:
                guard let library = tools.preload.path else {
                    return .failure(Unavailable(tools.preload.missingReason!))
                }
                return tools.workloads.command(arguments, environment: ["LD_PRELOAD": library])
            default:
                let nframe = self == .nframe1 ? "1" : "25"
                return tools.linked.command(arguments, environment: ["SWIFTTRACEMALLOC": nframe])
            }
        }
    }

    /// Checks that a finished run did what this mode claims, and removes the files it wrote.
    ///
    /// A run that exited 0 but traced nothing would give a flattering ratio, so the linked
    /// binary's `tracing=` line and the tracers' output files are checked too.
    func verify(_ run: ChildRun, scratch: String) -> Unavailable? {
        let written = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
        let outputs = written.filter { $0.hasPrefix("run.tm") || $0.hasPrefix("heaptrack") }
        defer {
            for name in outputs { try? FileManager.default.removeItem(atPath: scratch + "/" + name) }
        }
        guard run.status == 0 else {
            return Unavailable("exit status \(run.status): \(run.lastErrorLine)")
        }
        switch self {
        case .untraced, .preloaded:
            return nil
        case .linked, .linkedStatic:
            return field("tracing", in: run.stdout) == "false"
                ? nil : Unavailable("tracing was on without SWIFTTRACEMALLOC")
        case .nframe1, .nframe25:
            let limit = self == .nframe1 ? "1" : "25"
            guard field("tracing", in: run.stdout) == "true",
                field("traceback-limit", in: run.stdout) == limit
            else {
                return Unavailable("SWIFTTRACEMALLOC=\(limit) did not start tracing with that limit")
            }
            guard let peak = field("traced-peak", in: run.stdout).flatMap({ Int($0) }), peak > 0 else {
                return Unavailable("SWIFTTRACEMALLOC=\(limit) traced no allocation")
            }
            return nil
        case .run1, .run25:
            return outputs.contains("run.tm") ? nil : Unavailable("run wrote no run.tm (\(run.lastErrorLine))")
        case .heaptrack:
            return outputs.isEmpty ? Unavailable("heaptrack wrote no file") : nil
        }
    }
}

/// Why a mode or a measurement has no number: printed as `n/a (reason)`.
struct Unavailable: Error, Sendable {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
