import Foundation
import Workloads

/// Wall time and peak RSS of every workload in every mode, from runs interleaved as
/// A B C … A B C …, so that a slow minute of a shared machine hits every mode alike.
struct Overhead: Sendable {
    /// The workloads measured, in the table's order.
    var workloads: [Workload]
    /// The modes measured, `.untraced` first.
    var modes: [Mode]
    /// runs[mode][workload][repetition], only for runs that passed `Mode.verify`.
    var runs: [Mode: [String: [Int: ChildRun]]] = [:]
    /// Why a mode, or a mode on one workload, has no numbers.
    var unavailable: [Mode: [String: Unavailable]] = [:]

    /// Runs each mode on each workload `repetitions` times.
    ///
    /// Each mode first runs once on a tiny workload; a mode that fails there is n/a everywhere
    /// and costs nothing more. A mode that fails on a workload is not run on it again.
    ///
    /// - Throws: `BenchError.noBaseline` when the untraced binary cannot run.
    static func measure(
        workloads: [Workload], modes: [Mode], repetitions: Int, tools: Tools, scratch: String
    ) throws -> Overhead {
        var overhead = Overhead(workloads: workloads, modes: modes)
        var available = modes
        for mode in modes {
            if let reason = overhead.runOnce(mode, ["binary-trees", "6"], tools: tools, scratch: scratch) {
                for workload in workloads { overhead.unavailable[mode, default: [:]][workload.name] = reason }
                available.removeAll { $0 == mode }
            }
        }
        guard available.contains(.untraced) else {
            throw BenchError.noBaseline(overhead.unavailable[.untraced]?.values.first?.reason ?? "")
        }
        for repetition in 0..<repetitions {
            for workload in workloads {
                var progress = "[\(repetition + 1)/\(repetitions)] \(workload.name):"
                for mode in available where overhead.unavailable[mode]?[workload.name] == nil {
                    if let reason = overhead.runOnce(
                        mode, [workload.name], repetition: repetition, tools: tools, scratch: scratch)
                    {
                        overhead.unavailable[mode, default: [:]][workload.name] = reason
                        progress += " \(mode.rawValue) n/a"
                    } else {
                        let seconds = overhead.runs[mode]![workload.name]![repetition]!.seconds
                        progress += " \(mode.rawValue) \(formatSeconds(seconds))s"
                    }
                }
                note(progress)
            }
        }
        return overhead
    }

    /// Runs `mode` once and records the run under `repetition` when given; returns why it
    /// failed, or nil.
    private mutating func runOnce(
        _ mode: Mode, _ arguments: [String], repetition: Int? = nil, tools: Tools, scratch: String
    ) -> Unavailable? {
        let command: Command
        switch mode.command(arguments, tools: tools, scratch: scratch) {
        case .success(let made): command = made
        case .failure(let reason): return reason
        }
        let run: ChildRun
        do {
            run = try runChild(command, scratch: scratch)
        } catch {
            return Unavailable("\(error)")
        }
        if let reason = mode.verify(run, scratch: scratch) { return reason }
        if let repetition { runs[mode, default: [:]][arguments[0], default: [:]][repetition] = run }
        return nil
    }

    /// The per-repetition ratios of `mode` to `baseline` on a workload, by `metric`: only
    /// repetitions in which both ran are paired.
    func ratios(
        _ mode: Mode, to baseline: Mode = .untraced, workload: String, metric: KeyPath<ChildRun, Double>
    ) -> [Int: Double] {
        guard let measured = runs[mode]?[workload], let bases = runs[baseline]?[workload] else {
            return [:]
        }
        var ratios: [Int: Double] = [:]
        for (repetition, run) in measured {
            if let base = bases[repetition] { ratios[repetition] = run[keyPath: metric] / base[keyPath: metric] }
        }
        return ratios
    }

    /// Per repetition, the geometric mean over `workloads` of `mode`'s ratio to `baseline` by
    /// `metric`; empty when any of them has no number.
    func geometricMeanRatios(
        _ mode: Mode, to baseline: Mode = .untraced, over workloads: [String],
        metric: KeyPath<ChildRun, Double> = \.seconds
    ) -> [Double] {
        let perWorkload = workloads.map { ratios(mode, to: baseline, workload: $0, metric: metric) }
        guard let first = perWorkload.first, perWorkload.allSatisfy({ !$0.isEmpty }) else { return [] }
        return first.keys.sorted().compactMap { repetition in
            let values = perWorkload.compactMap { $0[repetition] }
            return values.count == workloads.count ? geometricMean(values) : nil
        }
    }
}

/// Writes a progress line on stderr; stdout carries only the report.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
