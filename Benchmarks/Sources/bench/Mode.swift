import Foundation

/// One way of running a workload: a column of the table.
enum Mode: String, CaseIterable, Sendable {
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
    /// `swift-tracemalloc run --nframe 25 -- workloads …`: the preloaded tracer, its dump at exit
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
        case .run25: "run --nframe 25"
        case .heaptrack: "heaptrack"
        }
    }

    /// The command that runs `arguments` (a workload and maybe its size) in this mode, or why
    /// this mode cannot run.
    ///
    /// - Parameter scratch: a directory for the files the tracers write.
    func command(_ arguments: [String], tools: Tools, scratch: String) -> Result<Command, Unavailable> {
        func using(_ tool: Tool, _ make: (String) -> Command) -> Result<Command, Unavailable> {
            guard let path = tool.path else { return .failure(Unavailable(tool.missingReason!)) }
            return .success(make(path))
        }
        switch self {
        case .untraced:
            return using(tools.workloads) { Command(executable: $0, arguments: arguments) }
        case .linked:
            return using(tools.linked) { Command(executable: $0, arguments: arguments) }
        case .linkedStatic:
            return using(tools.linkedStatic) { Command(executable: $0, arguments: arguments) }
        case .preloaded:
            guard let library = tools.preload.path else {
                return .failure(Unavailable(tools.preload.missingReason!))
            }
            return using(tools.workloads) {
                Command(executable: $0, arguments: arguments, environment: ["LD_PRELOAD": library])
            }
        case .nframe1, .nframe25:
            let nframe = self == .nframe1 ? "1" : "25"
            return using(tools.linked) {
                Command(executable: $0, arguments: arguments, environment: ["SWIFTTRACEMALLOC": nframe])
            }
        case .run25:
            guard let workloads = tools.workloads.path else {
                return .failure(Unavailable(tools.workloads.missingReason!))
            }
            return using(tools.swiftTraceMalloc) {
                Command(
                    executable: $0,
                    arguments: ["run", "--nframe", "25", "--output", scratch + "/run.tm", "--", workloads]
                        + arguments)
            }
        case .heaptrack:
            guard let workloads = tools.workloads.path else {
                return .failure(Unavailable(tools.workloads.missingReason!))
            }
            return using(tools.heaptrack) {
                Command(executable: $0, arguments: ["-o", scratch + "/heaptrack", workloads] + arguments)
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
        case .run25:
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
