import Foundation

/// A program to start: its path, arguments and the environment changes it runs with.
struct Command: Sendable {
    /// The executable's absolute path.
    var executable: String
    /// The arguments after the program name.
    var arguments: [String]
    /// Variables to set, over the driver's own environment.
    var environment: [String: String] = [:]

    /// The command as a shell user would type it, for notes and error messages.
    var displayed: String {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) " }
        return assignments.joined() + ([executable] + arguments).joined(separator: " ")
    }

    /// This command run by `tool` (a tracer) after `options`, in this command's environment.
    func wrapped(by tool: Tool, _ options: [String]) -> Result<Command, Unavailable> {
        tool.command(options + [executable] + arguments, environment: environment)
    }
}

/// What one run of a child process measured.
struct ChildRun: Sendable {
    /// Wall-clock seconds from spawn to reaping.
    var seconds: Double
    /// User plus system CPU seconds of the child and its reaped descendants: what the work cost,
    /// whatever else the machine was running.
    var cpuSeconds: Double
    /// The peak resident set of the child or of its largest reaped descendant, in KiB
    /// (`ru_maxrss` of wait4).
    var maxRSSKiB: Double
    /// The exit status, or 128 + the signal that killed it.
    var status: Int32
    /// Everything the child wrote on stdout.
    var stdout: String
    /// Everything the child wrote on stderr.
    var stderr: String

    /// The last non-empty line of stderr, for a one-line failure reason.
    var lastErrorLine: String {
        stderr.split(separator: "\n").last.map(String.init) ?? "no message"
    }
}

/// Variables the driver never passes on: a tracer switched on in the driver's environment would
/// trace the untraced runs.
private let strippedVariables: Set<String> = ["SWIFTTRACEMALLOC", "LD_PRELOAD"]

/// Runs `command` to completion with stdin from /dev/null and stdout and stderr captured in
/// files of `scratch`, and measures it.
///
/// posix_spawn and wait4 rather than Foundation's Process, because only wait4 reports the
/// child's peak RSS, and spawning directly keeps the driver's work out of the timed interval.
///
/// - Throws: `BenchError.spawnFailed` when the program cannot be started.
func runChild(_ command: Command, scratch: String) throws -> ChildRun {
    let stdoutPath = scratch + "/child.stdout"
    let stderrPath = scratch + "/child.stderr"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

    var environment = ProcessInfo.processInfo.environment.filter {
        !strippedVariables.contains($0.key)
    }
    environment.merge(command.environment) { $1 }
    let argv = ([command.executable] + command.arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for string in argv + envp { free(string) }
    }

    var pid: pid_t = 0
    let start = ContinuousClock.now
    let spawned = posix_spawn(&pid, command.executable, &actions, nil, argv, envp)
    guard spawned == 0 else {
        throw BenchError.spawnFailed(command.displayed, String(cString: strerror(spawned)))
    }
    var waitStatus: Int32 = 0
    var usage = rusage()
    while wait4(pid, &waitStatus, 0, &usage) < 0 && errno == EINTR {}
    let elapsed = start.duration(to: .now)

    // The W* macros are not imported into Swift; these are their glibc definitions.
    let signal = waitStatus & 0x7f
    let status = signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
    return ChildRun(
        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
        cpuSeconds: Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
        maxRSSKiB: Double(usage.ru_maxrss),
        status: status,
        stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
}

/// The value of `key=value` in whitespace-separated output, or nil.
func field(_ key: String, in output: String) -> String? {
    output.split(whereSeparator: \.isWhitespace).lazy
        .compactMap { token -> Substring? in
            token.hasPrefix(key + "=") ? token.dropFirst(key.count + 1) : nil
        }
        .last.map(String.init)
}
