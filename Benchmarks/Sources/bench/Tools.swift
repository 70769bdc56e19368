import Foundation

/// A program the benchmark needs, or why it is not there.
enum Tool: Sendable {
    case found(String)
    case missing(String)

    /// The absolute path, when found.
    var path: String? {
        if case .found(let path) = self { path } else { nil }
    }

    /// Why the tool is missing, when it is.
    var missingReason: String? {
        if case .missing(let reason) = self { reason } else { nil }
    }
}

/// Every program the benchmark runs, found once at start.
struct Tools: Sendable {
    /// The directory holding the driver, where SwiftPM put the other products too.
    var buildDirectory: String
    /// `workloads`: the workloads with no tracer.
    var workloads: Tool
    /// `workloads-linked`: the same, linked with TraceMallocDynamic.
    var linked: Tool
    /// `workloads-linked-static`: the same, linked with the static TraceMalloc.
    var linkedStatic: Tool
    /// `tracer-costs`: the measurements made through TraceMalloc's API.
    var tracerCosts: Tool
    /// `swift-tracemalloc`: the tool whose `run` preloads the tracer.
    var swiftTraceMalloc: Tool
    /// `libTraceMallocPreload.so`: the tracer `run` preloads, which traces nothing unless asked;
    /// built with the tool, in its resources folder.
    var preload: Tool
    /// heaptrack, from Debian.
    var heaptrack: Tool
    /// valgrind, for callgrind's instruction counts.
    var valgrind: Tool

    /// Finds the products beside the driver's own executable and the rest on PATH.
    static func locate() -> Tools {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let directory = (executable as NSString).deletingLastPathComponent
        func product(_ name: String, file: String? = nil) -> Tool {
            let path = directory + "/" + (file ?? name)
            return FileManager.default.isExecutableFile(atPath: path)
                ? .found(path)
                : .missing(
                    "\(name) is not built (`swift build -c release --package-path Benchmarks --product \(name)` says why)")
        }
        return Tools(
            buildDirectory: directory,
            workloads: product("workloads"),
            linked: product("workloads-linked"),
            linkedStatic: product("workloads-linked-static"),
            tracerCosts: product("tracer-costs"),
            swiftTraceMalloc: product("swift-tracemalloc"),
            preload: product(
                "swift-tracemalloc", file: "swift-tracemalloc_swift-tracemalloc.resources/libTraceMallocPreload.so"),
            heaptrack: onPath("heaptrack", install: "apt-get install -y heaptrack"),
            valgrind: onPath("valgrind", install: "apt-get install -y valgrind"))
    }

    private static func onPath(_ name: String, install: String) -> Tool {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":")
        for directory in directories {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return .found(path) }
        }
        return .missing("\(name) is not installed (\(install))")
    }
}
