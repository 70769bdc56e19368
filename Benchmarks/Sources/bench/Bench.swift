import ArgumentParser
import Foundation
import Workloads

/// The benchmark driver: every workload in every mode, interleaved, then the tracer's own costs,
/// instruction counts and the goals, as Markdown on stdout.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure what tracing costs, side by side with heaptrack.",
        discussion: """
            Runs the workloads untraced, linked with TraceMalloc but not tracing, traced with \
            SWIFTTRACEMALLOC=1 and =25, under `swift-tracemalloc run --nframe 25` and under \
            heaptrack, interleaved, then prints Markdown tables of the ratios and the goals. \
            Progress goes to stderr. A mode whose program did not build or does not work is \
            printed as n/a with the reason.

            Then the programs without frame pointers (issue 11): binary-trees in C and Swift, \
            each also built with frame pointers, and Debian's jq and perl, untraced, under \
            `run --nframe 1`, `run --nframe 25` and heaptrack.

            Build everything and run it, from the repository root:

              Benchmarks/run
              Benchmarks/run --repetitions 3 --workload json --skip-programs
              Benchmarks/run --repetitions 1 --programs-only --skip-heaptrack
            """)

    @Option(help: "How many times each mode runs each workload (at least 5 for published numbers).")
    var repetitions = 5

    @Option(name: .customLong("workload"), help: "Run only this workload (repeatable; default: all).")
    var workloads: [String] = []

    @Flag(help: "Leave out heaptrack, the slowest mode.")
    var skipHeaptrack = false

    @Flag(help: "Leave out the callgrind instruction counts.")
    var skipCallgrind = false

    @Flag(help: "Leave out the tracer's memory, snapshot, load and symbolising costs.")
    var skipCosts = false

    @Flag(help: "Leave out the programs without frame pointers (C and Swift binary-trees, jq, perl).")
    var skipPrograms = false

    @Flag(help: "Run only the programs without frame pointers: no workloads, costs or callgrind.")
    var programsOnly = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("Please give --repetitions of at least 1.") }
        guard !(skipPrograms && programsOnly) else {
            throw ValidationError("Please give either --skip-programs or --programs-only, not both.")
        }
        for name in workloads where Workload.named(name) == nil {
            throw ValidationError(
                "Unknown workload '\(name)'; the workloads are \(Workload.all.map(\.name).joined(separator: ", ")).")
        }
    }

    func run() throws {
        let tools = Tools.locate()
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let chosen = workloads.isEmpty ? Workload.all : Workload.all.filter { workloads.contains($0.name) }
        let withoutHeaptrack = { (modes: [Mode]) in modes.filter { !(skipHeaptrack && $0 == .heaptrack) } }

        let loadBefore = loadAverage()
        let started = ContinuousClock.now
        let overhead = programsOnly
            ? nil
            : try Overhead.measure(
                rows: chosen.map(Row.init), modes: withoutHeaptrack(Mode.workloadModes),
                probe: .workload(["binary-trees", "6"]), repetitions: repetitions, tools: tools, scratch: scratch)
        let programs = skipPrograms
            ? nil
            : try Overhead.measure(
                rows: Programs.rows(tools: tools, scratch: scratch), modes: withoutHeaptrack(Mode.programModes),
                probe: Programs.probe, repetitions: repetitions, tools: tools, scratch: scratch)
        let costs = skipCosts || programsOnly
            ? nil : TracerCosts.measure(repetitions: repetitions, tools: tools, scratch: scratch)
        let counts = skipCallgrind || programsOnly ? nil : InstructionCounts.measure(tools: tools, scratch: scratch)
        let elapsed = started.duration(to: .now).components.seconds

        print("Machine: \(machine()); load average \(loadBefore) before, \(loadAverage()) after;"
              + " \(elapsed) s in all.\n")
        let report = Report(
            overhead: overhead, programs: programs, costs: costs, counts: counts, repetitions: repetitions)
        print(report.markdown, terminator: "")
    }

    private func makeScratchDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/tracemalloc-bench.XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else {
            throw ValidationError("Cannot make a scratch directory: \(String(cString: strerror(errno)))")
        }
        return String(cString: path)
    }

    private func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    private func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(ProcessInfo.processInfo.activeProcessorCount) × \(model), Linux \(release)"
    }
}
