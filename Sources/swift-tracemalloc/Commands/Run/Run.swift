import ArgumentParser
import Foundation
import TraceMalloc

/// `swift-tracemalloc run`: traces an unmodified program through the preloaded tracer.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program with its memory allocations traced.",
        usage: "swift-tracemalloc run [--nframe <n>] [--output <file>] [--interval <seconds>] [--peak] -- <program> [<argument> ...]",
        discussion: """
            The program runs with the tracer preloaded (LD_PRELOAD): it needs no change, only \
            debug information (-g) for file names and lines. Its exit status becomes this \
            command's; a program killed by signal N gives 128+N.

            Snapshots written (existing files of the same name are replaced; a directory or \
            anything else that is not a file there is refused before the program runs):
              FILE         what was still allocated at exit (the leaks)
              FILE.1, ...  one every --interval seconds
              FILE.peak    what was allocated at the high-water mark
              FILE.PID     the same for each child process (fork, exec)
            The tracer records addresses; they are symbolised when the program \
            has ended, so do not rebuild it meanwhile.

            Example:
              swift build -c release
              swift-tracemalloc run -o app.tm --interval 1 -- .build/release/app in.txt
              swift-tracemalloc top app.tm.3

            The tracer, libTraceMallocPreload.so, is built with this tool and \
            looked for in its resources folder; SWIFTTRACEMALLOC_PRELOAD may name another. It needs only libc: \
            the traced program gets no Swift runtime from it.
            """
    )

    @Option(parsing: .unconditional, help: "The number of frames to keep per traceback (1...65535), like PYTHONTRACEMALLOC.")
    var nframe = 1

    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Where to write the snapshot (default: PROGRAM's name + .tm, in the current directory).",
        valueName: "file"))
    var output: String?

    @Option(
        parsing: .unconditional,  // a negative number is a value to refuse, as --limit's
        help: ArgumentHelp("Also write a numbered snapshot every this many seconds.", valueName: "seconds"))
    var interval: Double?

    @Flag(help: """
        Also write FILE.peak, retaken each time the traced memory grows 1% past the last copy: \
        it holds at least 99% of the true peak's bytes.
        """)
    var peak = false

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The program to trace and its arguments, after '--'.", valueName: "program"))
    var command: [String] = []

    /// The program and its arguments, without the `--` that separates them from ours.
    private var programAndArguments: [String] {
        command.first == "--" ? Array(command.dropFirst()) : command
    }

    func validate() throws {
        // captureForPassthrough also captures --help and options we do not know.
        if let first = command.first, first != "--", first.hasPrefix("-") {
            if first == "-h" || first == "--help" { throw CleanExit.helpRequest(self) }
            throw ValidationError("Unknown option '\(first)'")
        }
        guard !programAndArguments.isEmpty else {
            throw ValidationError("Missing the program to run (swift-tracemalloc run -- PROGRAM [ARGS...])")
        }
        guard TraceMalloc.nframeRange.contains(nframe) else {
            throw ValidationError("--nframe must be in range [1; \(TraceMalloc.nframeRange.upperBound)], not \(nframe)")
        }
        if let interval, !(interval >= 0.001 && interval.isFinite) {
            throw ValidationError("--interval must be at least 0.001 seconds")
        }
    }

    func run() throws {
        let arguments = programAndArguments
        let environment = ProcessInfo.processInfo.environment
        let executable: String
        do {
            executable = try ChildProcess.resolve(arguments[0], path: environment["PATH"])
        } catch let error as ChildProcess.LaunchError {
            printError(error.description)
            throw ExitCode(127)
        }
        let preload = try Self.preloadLibrary(environment: environment)
        let files = OutputFiles(path: output ?? URL(fileURLWithPath: arguments[0]).lastPathComponent + ".tm")
        guard access(files.directory, W_OK | X_OK) == 0 else {
            throw ValidationError("cannot write snapshots in \(files.directory): \(String(cString: strerror(errno)))")
        }
        // The old family goes before the program runs, but only if all of it is files: a
        // directory (or anything else) at one of its paths is the user's, and is refused
        // before anything is removed.
        let oldMembers = files.existingMembers().map(files.path(of:))
        if let (path, kind) = oldMembers.lazy.compactMap({ path in FileIO.nonRegularFile(at: path).map { (path, $0) } }).first {
            throw ValidationError("\(path) is \(kind), where run writes a snapshot; nothing was run or removed (choose another --output)")
        }
        for path in oldMembers {
            unlink(path)
        }

        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: executable, arguments: arguments,
                environment: tracerEnvironment(environment, preload: preload, output: files.path))
        } catch let error as ChildProcess.LaunchError {
            printError(error.description)
            throw ExitCode(127)
        }
        let termination = child.wait()

        let written = convertRawFiles(files)
        if !written.isEmpty {
            printError(Self.summary(of: written.map { files.path(of: $0.member) }))
        }
        switch termination {
        case .signaled(let signal):
            let last = Self.lastSnapshot(of: child.pid, in: written).map { "last snapshot: " + files.path(of: $0) }
            let program = URL(fileURLWithPath: arguments[0]).lastPathComponent
            printError("\(program) was killed by \(signalName(signal)); \(last ?? "it wrote no snapshot")")
        case .exited where written.isEmpty:
            printError("no snapshot was written (a statically linked program cannot be traced through LD_PRELOAD)")
        case .exited:
            break
        }
        throw ExitCode(termination.shellStatus)
    }

    /// The environment of the traced program: ours, minus stale tracer settings, plus the
    /// variables that tell the preloaded tracer what to do.
    private func tracerEnvironment(_ base: [String: String], preload: String, output: String) -> [String: String] {
        var environment = base.filter { !$0.key.hasPrefix("SWIFTTRACEMALLOC") }
        // First, so that its malloc interposes before any other preloaded allocator's.
        environment["LD_PRELOAD"] = [preload, base["LD_PRELOAD"] ?? ""].filter { !$0.isEmpty }.joined(separator: ":")
        environment["SWIFTTRACEMALLOC"] = String(nframe)
        environment["SWIFTTRACEMALLOC_OUTPUT"] = URL(fileURLWithPath: output).standardizedFileURL.path
        if let interval {
            environment["SWIFTTRACEMALLOC_INTERVAL"] = String(format: "%.6f", interval)
        }
        if peak {
            environment["SWIFTTRACEMALLOC_PEAK"] = "1"
        }
        return environment
    }

    /// The tracer library: `SWIFTTRACEMALLOC_PRELOAD`, or the one `swift build` makes with this
    /// tool, in its resources folder (where the build-tool plugin's outputs go). Not beside the
    /// tool: SwiftPM's library product of that name, which loaded the Swift runtime, may still
    /// lie there in an older build folder.
    private static func preloadLibrary(environment: [String: String]) throws -> String {
        let library: String
        if let override = environment["SWIFTTRACEMALLOC_PRELOAD"], !override.isEmpty {
            library = URL(fileURLWithPath: override).standardizedFileURL.path
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            library = URL(fileURLWithPath: executable).deletingLastPathComponent()
                .appendingPathComponent("swift-tracemalloc_swift-tracemalloc.resources/libTraceMallocPreload.so").path
        }
        guard FileManager.default.isReadableFile(atPath: library) else {
            throw ValidationError("""
                the tracer library \(library) is missing: build it with 'swift build' \
                (it is built with the tool) or set SWIFTTRACEMALLOC_PRELOAD to its path
                """)
        }
        return library
    }
}
