#if canImport(Glibc)
import Glibc
#endif

/// A program started by `run`, waited for like a shell waits for its foreground job.
struct ChildProcess {
    /// How a program ended.
    enum Termination: Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// It was killed by this signal.
        case signaled(Int32)

        /// The status a shell would report: the exit status, or 128 + the signal number.
        var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }
    }

    /// Why a program could not be started.
    struct LaunchError: Error, CustomStringConvertible {
        var program: String
        var reason: String

        var description: String { "cannot run '\(program)': \(reason)" }
    }

    let pid: pid_t

    /// Finds `program` the way `execvp` does: a name with a slash is a path, any other name is
    /// looked up in `PATH`.
    ///
    /// Resolving before spawning lets `run` refuse a misspelt program before it touches any
    /// output file.
    ///
    /// - Returns: The path to execute.
    /// - Throws: `LaunchError` when there is no such executable file.
    static func resolve(_ program: String, path: String?) throws -> String {
        if program.isEmpty {
            throw LaunchError(program: program, reason: "empty program name")
        }
        if program.contains("/") {
            if let problem = executableProblem(program) {
                throw LaunchError(program: program, reason: problem)
            }
            return program
        }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            if executableProblem(candidate) == nil { return candidate }
        }
        throw LaunchError(program: program, reason: "command not found in PATH")
    }

    private static func executableProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return String(cString: strerror(errno)) }
        guard info.st_mode & S_IFMT != S_IFDIR else { return String(cString: strerror(EISDIR)) }
        guard access(path, X_OK) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    /// Starts `executable` with `arguments` (argv[0] first) and exactly `environment`.
    ///
    /// The program inherits this process's signal dispositions and mask as they were when the
    /// tool started: a SIGINT ignored by a non-interactive shell stays ignored.
    ///
    /// - Throws: `LaunchError` when the kernel refuses to execute it.
    init(executable: String, arguments: [String], environment: [String: String]) throws {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, nil, nil, argv, envp)
        guard error == 0 else {
            throw LaunchError(program: arguments.first ?? executable, reason: String(cString: strerror(error)))
        }
        self.pid = pid
    }

    /// Waits for the program to end.
    ///
    /// Meanwhile SIGINT and SIGQUIT are ignored, as shells and `time` do: ^C reaches the program
    /// (it shares the terminal's process group), and this process survives it to convert the
    /// snapshots already written. SIGTERM and SIGHUP are passed on to the program, so that
    /// `kill` of the tool ends the program the same way and still leaves converted snapshots.
    func wait() -> Termination {
        programForSignals = pid
        let forward: @convention(c) (Int32) -> Void = { signal in kill(programForSignals, signal) }
        let previous = [
            (SIGINT, signal(SIGINT, SIG_IGN)), (SIGQUIT, signal(SIGQUIT, SIG_IGN)),
            (SIGTERM, signal(SIGTERM, forward)), (SIGHUP, signal(SIGHUP, forward)),
        ]
        defer {
            for (number, handler) in previous { signal(number, handler) }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(127) }
        }
        // <sys/wait.h>'s WIFEXITED/WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

/// The program `ChildProcess.wait()` waits for, read by its signal handler: a C function
/// pointer cannot capture it. Written before the handler is installed, and only then.
nonisolated(unsafe) private var programForSignals: pid_t = 0

/// The name of a Linux signal, as `kill -l` prints it with the SIG prefix.
func signalName(_ number: Int32) -> String {
    // glibc's sigabbrev_np is not visible to Swift, and strsignal gives prose ("Segmentation fault").
    let names = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ]
    return (1...Int32(names.count)).contains(number) ? "SIG" + names[Int(number) - 1] : "signal \(number)"
}
