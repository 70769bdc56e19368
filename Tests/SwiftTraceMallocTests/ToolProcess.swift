import Foundation

/// The built `swift-tracemalloc` tool, run as a user would run it.
///
/// SwiftPM puts the tool, the preload library and the test bundle in one directory
/// (`.build/debug/`), so they are found beside this test process's executable.
struct ToolProcess {
    /// What one run of the tool printed, and how it ended.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The standard output's lines, without their newlines.
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
        /// The standard error's lines, without their newlines.
        var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    static let buildDirectory: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    static var tool: String { buildDirectory.appendingPathComponent("swift-tracemalloc").path }
    static var preloadLibrary: String {
        buildDirectory.appendingPathComponent("swift-tracemalloc_swift-tracemalloc.resources/libTraceMallocPreload.so").path
    }

    /// Runs the tool with `arguments` in `directory` and waits for it.
    static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:]
    ) throws -> Result {
        try Command.run(tool, arguments, in: directory, environment: environment)
    }
}

/// Runs any program to completion, its output captured in files (pipes could fill and block).
enum Command {
    static func run(
        _ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]
    ) throws -> ToolProcess.Result {
        let id = UUID().uuidString
        let out = directory.appendingPathComponent(".stdout-\(id)")
        let err = directory.appendingPathComponent(".stderr-\(id)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try withShellSignalMask { try process.run() }
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return ToolProcess.Result(
            status: status,
            stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
    }

    /// Compiles a C program with debug information, failing the test on a compiler error.
    static func compileC(_ source: String, named name: String, in directory: URL, flags: [String] = []) throws -> String {
        let sourceFile = directory.appendingPathComponent("\(name).c")
        try source.write(to: sourceFile, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent(name).path
        let result = try run("/usr/bin/cc", ["-g", "-O0"] + flags + ["-o", binary, sourceFile.path], in: directory)
        guard result.status == 0 else { throw CompileError(output: result.stderr) }
        return binary
    }

    struct CompileError: Error, CustomStringConvertible {
        var output: String
        var description: String { "compilation failed: \(output)" }
    }
}

/// Runs `body`, which starts a process, with no signal blocked, as a shell starts programs.
///
/// Test threads are libdispatch workers, which block most signals, and a child inherits its
/// parent thread's mask: a traced program would otherwise never see SIGTERM or a timer signal.
func withShellSignalMask<T>(_ body: () throws -> T) rethrows -> T {
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    return try body()
}

/// A fresh directory for one test, removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-tracemalloc-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The line of `source` that contains `marker`, 1-based, for tests that assert `file:line`.
func line(of marker: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    guard let index = lines.firstIndex(where: { $0.contains(marker) }) else {
        preconditionFailure("no line contains \(marker)")
    }
    return index + 1
}
