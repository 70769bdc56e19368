import Foundation

/// Instructions per malloc+free pair of workload (a), counted by callgrind: a figure the
/// shared machine's noise cannot move.
///
/// `perf stat -e instructions` is the cheaper counter, but the reference machine (a VM) has no
/// hardware counters, so callgrind it is. Each mode runs at two sizes and the difference is
/// divided by the difference of pairs, which cancels start-up and exit.
struct InstructionCounts: Sendable {
    /// Pairs of the two runs per mode.
    static let sizes = (small: 100_000, large: 300_000)

    /// Instructions per pair, by mode.
    var perPair: [Mode: Double] = [:]
    /// Why a mode has no count.
    var unavailable: [Mode: Unavailable] = [:]

    /// The modes counted: those that run the C hook in-process. `run` preloads the same hook.
    static let modes: [Mode] = [.untraced, .linked, .linkedStatic, .nframe1, .nframe25]

    /// Counts every mode with callgrind.
    static func measure(tools: Tools, scratch: String) -> InstructionCounts {
        var counts = InstructionCounts()
        guard let valgrind = tools.valgrind.path else {
            for mode in modes { counts.unavailable[mode] = Unavailable(tools.valgrind.missingReason!) }
            return counts
        }
        do {
            try librariesWithoutDebugInfo(tools: tools, scratch: scratch)
        } catch {
            let reason = error as? Unavailable ?? Unavailable("\(error)")
            for mode in modes { counts.unavailable[mode] = reason }
            return counts
        }
        for mode in modes {
            do {
                let small = try count(mode, pairs: sizes.small, valgrind: valgrind, tools: tools, scratch: scratch)
                let large = try count(mode, pairs: sizes.large, valgrind: valgrind, tools: tools, scratch: scratch)
                counts.perPair[mode] = (large - small) / Double(sizes.large - sizes.small)
            } catch let reason as Unavailable {
                counts.unavailable[mode] = reason
            } catch {
                counts.unavailable[mode] = Unavailable("\(error)")
            }
        }
        note("instruction counts done")
        return counts
    }

    /// The instructions callgrind counts for one run of workload (a) with `pairs` pairs.
    private static func count(
        _ mode: Mode, pairs: Int, valgrind: String, tools: Tools, scratch: String
    ) throws -> Double {
        let workload = try mode.command(.workload(["malloc64", String(pairs)]), tools: tools, scratch: scratch).get()
        let program = try withoutDebugInfo(workload.executable, scratch: scratch, suffix: ".stripped")
        let command = Command(
            executable: valgrind,
            arguments: ["--tool=callgrind", "--callgrind-out-file=/dev/null", program] + workload.arguments,
            environment: workload.environment)
        let run = try runChild(command, scratch: scratch)
        if let reason = mode.verify(run, scratch: scratch) { throw reason }
        guard let line = run.stderr.split(separator: "\n").first(where: { $0.contains("Collected :") }),
            let collected = line.split(separator: " ").last.flatMap({ Double($0) })
        else {
            throw Unavailable("callgrind printed no count: \(run.lastErrorLine)")
        }
        return collected
    }

    /// A copy of `file` without DWARF in `scratch`, made once: valgrind 3.19 gives up on the
    /// DWARF 5 forms Swift 6 emits. Instruction counts do not need debug information.
    private static func withoutDebugInfo(_ file: String, scratch: String, suffix: String = "") throws -> String {
        let copy = scratch + "/" + (file as NSString).lastPathComponent + suffix
        if FileManager.default.fileExists(atPath: copy) { return copy }
        let run = try runChild(
            Command(executable: "/usr/bin/objcopy", arguments: ["--strip-debug", file, copy]),
            scratch: scratch)
        guard run.status == 0 else { throw Unavailable("objcopy --strip-debug failed: \(run.lastErrorLine)") }
        return copy
    }

    /// Copies of the build directory's shared objects, under their own names beside the
    /// executables' copies: `workloads-linked` finds libTraceMallocDynamic.so through its
    /// `$ORIGIN` rpath.
    private static func librariesWithoutDebugInfo(tools: Tools, scratch: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tools.buildDirectory)) ?? []
        for name in names where name.hasPrefix("lib") && name.hasSuffix(".so") {
            _ = try withoutDebugInfo(tools.buildDirectory + "/" + name, scratch: scratch)
        }
    }
}
