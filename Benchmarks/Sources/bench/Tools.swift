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

    /// The command running this tool with `arguments`, or why it cannot run.
    func command(_ arguments: [String], environment: [String: String] = [:]) -> Result<Command, Unavailable> {
        switch self {
        case .found(let path): .success(Command(executable: path, arguments: arguments, environment: environment))
        case .missing(let reason): .failure(Unavailable(reason))
        }
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
    /// `.build/programs`, where Benchmarks/run builds issue 11's programs outside SwiftPM.
    var programDirectory: String
    /// jq, from Debian: a program of issue 11's table.
    var jq: Tool
    /// perl, from Debian: a program of issue 11's table.
    var perl: Tool

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
            valgrind: onPath("valgrind", install: "apt-get install -y valgrind"),
            programDirectory: programDirectory(beside: directory),
            jq: onPath("jq", install: "apt-get install -y jq"),
            perl: onPath("perl", install: "apt-get install -y perl"))
    }

    /// The program Benchmarks/run built as `.build/programs/NAME`, or why it is not there.
    func program(_ name: String) -> Tool {
        let path = programDirectory + "/" + name
        return FileManager.default.isExecutableFile(atPath: path)
            ? .found(path) : .missing("\(name) did not build (Benchmarks/run says why)")
    }

    /// `.build/programs` of the package whose build directory (`.build/<triple>/release`)
    /// holds the driver.
    private static func programDirectory(beside buildDirectory: String) -> String {
        let components = buildDirectory.split(separator: "/", omittingEmptySubsequences: false)
        guard let build = components.lastIndex(of: ".build") else { return buildDirectory + "/programs" }
        return components[...build].joined(separator: "/") + "/programs"
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
