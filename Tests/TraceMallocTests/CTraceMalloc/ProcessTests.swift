import Glibc
import Synchronization
import Testing
@testable import TraceMalloc

// The tracer across processes: fork (the child keeps tracing and does not deadlock) and
// SWIFTTRACEMALLOC (read by a constructor before main). Needs `swift test --no-parallel`.

/// Waits for `pid` at most `seconds`, then kills it. Returns its wait status, or nil if it had
/// to be killed (a deadlocked child must fail the test, not hang it).
private func waitForExit(of pid: pid_t, seconds: Double = 20) -> Int32? {
    var status: Int32 = 0
    for _ in 0..<Int(seconds * 100) {
        if waitpid(pid, &status, WNOHANG) == pid {
            return status
        }
        usleep(10_000)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
    return nil
}

@Test func forkedChildKeepsTracingAllocatesAndTakesASnapshot() throws {
    TraceMalloc.stop()
    try TraceMalloc.start(nframe: 1)
    defer { TraceMalloc.stop() }
    _ = try TraceMalloc.takeSnapshot()  // the symbolizer has read this process's images

    let pid = fork()
    if pid == 0 {
        let line = #line + 1
        let block = malloc(777)
        keepAlive(block)
        let snapshot = try? TraceMalloc.takeSnapshot()
        let found = snapshot?.traces.contains { $0.size == 777 && $0.traceback.last?.lineno == line } ?? false
        free(block)
        _exit(TraceMalloc.isTracing && found ? 0 : 1)
    }
    let status = waitForExit(of: pid)

    #expect(status == 0, "the child exits 0 (status 256 means it found no trace)")
}

/// Allocates and frees without pause until `stop` is set.
private func churn(until stop: borrowing Atomic<Bool>) {
    while !stop.load(ordering: .relaxed) {
        let block = malloc(64)
        keepAlive(block)
        free(block)
        free(strdup("fork while others allocate"))
    }
}

/// A flag threads poll; a class so that pthread_create can hand it over.
private final class StopFlag: Sendable {
    let stop = Atomic(false)
}

@Test func forkWhileOtherThreadsAllocateLeavesNoLockHeldInTheChild() throws {
    TraceMalloc.stop()
    let flag = StopFlag()
    let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: 2)
    try TraceMalloc.start(nframe: 5)
    defer { TraceMalloc.stop() }
    for index in 0..<2 {
        pthread_create(threads + index, nil, { flag in
            churn(until: Unmanaged<StopFlag>.fromOpaque(flag!).takeUnretainedValue().stop)
            return nil
        }, Unmanaged.passUnretained(flag).toOpaque())
    }

    var statuses: [Int32?] = []
    for _ in 0..<20 {
        let pid = fork()
        if pid == 0 {
            // Only the C core and glibc here: another thread may have held a Swift runtime
            // lock at the fork, which is the runtime's business, not the tracer's.
            let before = TraceMalloc.tracedMemory().current
            let block = malloc(100)
            keepAlive(block)
            let grew = TraceMalloc.tracedMemory().current - before == 100
            free(block)
            TraceMalloc.clearTraces()
            _exit(grew && TraceMalloc.isTracing ? 0 : 1)
        }
        statuses.append(waitForExit(of: pid))
    }
    flag.stop.store(true, ordering: .relaxed)
    for index in 0..<2 {
        pthread_join(threads[index], nil)
    }
    threads.deallocate()

    #expect(statuses.allSatisfy { $0 == 0 }, "statuses: \(statuses)")
}

// ---- SWIFTTRACEMALLOC ----------------------------------------------------------------------

/// Where `environmentProbe` reports, when this process was started by `runProbe`.
private let probeOutput = getenv("TM_ENVIRONMENT_PROBE_OUTPUT").map { String(cString: $0) }

/// Not a test of its own: run in a child process by the tests below, it writes whether tracing
/// was on when the process started, and the limit.
@Test(.enabled(if: probeOutput != nil)) func environmentProbe() throws {
    let report = "\(TraceMalloc.isTracing) \(TraceMalloc.tracebackLimit)"
    let file = try #require(fopen(probeOutput!, "w"))
    fputs(report, file)
    fclose(file)
}

private func readFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else {
        return ""
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while case let count = fread(&buffer, 1, buffer.count, file), count > 0 {
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Runs this test binary's `environmentProbe` with SWIFTTRACEMALLOC set to `value`.
/// - Returns: The probe's report and what the child wrote on standard error.
private func runProbe(swiftTraceMalloc value: String) throws -> (report: String, errors: String) {
    var template = Array("/tmp/tm-probe-XXXXXX".utf8CString)
    let directory = String(cString: try #require(mkdtemp(&template)))
    let reportPath = directory + "/report"
    let errorsPath = directory + "/stderr"
    defer {
        unlink(reportPath)
        unlink(errorsPath)
        rmdir(directory)
    }

    var environment = ["SWIFTTRACEMALLOC=\(value)", "TM_ENVIRONMENT_PROBE_OUTPUT=\(reportPath)"]
    var entry = environ
    while let variable = entry.pointee {
        let text = String(cString: variable)
        if !text.hasPrefix("SWIFTTRACEMALLOC=") {
            environment.append(text)
        }
        entry += 1
    }
    let arguments = ["/proc/self/exe", "--testing-library", "swift-testing", "--filter", "environmentProbe"]

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, envp)
    try #require(spawned == 0)
    let status = waitForExit(of: pid, seconds: 60)
    #expect(status == 0)
    return (readFile(reportPath), readFile(errorsPath))
}

@Test func swiftTraceMallocStartsTracingWithItsFrameCount() throws {
    let probe = try runProbe(swiftTraceMalloc: "7")

    #expect(probe.report == "true 7")
    #expect(!probe.errors.contains("SWIFTTRACEMALLOC"))
}

@Test func swiftTraceMallocZeroLeavesTracingOff() throws {
    let probe = try runProbe(swiftTraceMalloc: "0")

    #expect(probe.report == "false 1")
    #expect(!probe.errors.contains("SWIFTTRACEMALLOC"))
}

@Test(arguments: ["abc", "-3", "65536", "5x"])
func badSwiftTraceMallocPrintsOneLineAndLeavesTracingOff(value: String) throws {
    let probe = try runProbe(swiftTraceMalloc: value)

    let lines = probe.errors.split(separator: "\n").filter { $0.contains("SWIFTTRACEMALLOC") }
    #expect(probe.report == "false 1")
    #expect(lines.count == 1)
    #expect(lines.first?.hasPrefix("swift-tracemalloc: SWIFTTRACEMALLOC='\(value)': ") == true)
}
