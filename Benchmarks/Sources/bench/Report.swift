import Foundation
import Workloads

/// The benchmark's output: Markdown tables and the goals, ready for the README.
struct Report {
    var overhead: Overhead
    var costs: TracerCosts?
    var counts: InstructionCounts?
    var repetitions: Int

    /// The workloads that make up the geometric means: (b)–(e). Workload (a), pure
    /// malloc/free, is reported on its own.
    var geomeanWorkloads: [String] {
        overhead.workloads.map(\.name).filter { $0 != "malloc64" }
    }

    /// The whole report.
    var markdown: String {
        var footnotes = Footnotes()
        var text = timeTable(\.seconds, &footnotes) + "\n" + timeTable(\.cpuSeconds, &footnotes) + "\n"
        text += memoryTable(&footnotes) + "\n"
        if let costs { text += costsTable(costs, &footnotes) + "\n" }
        if let counts { text += instructionTable(counts, &footnotes) + "\n" }
        text += goalTable() + footnotes.text
        return text
    }

    /// Untraced seconds and each mode's ratio to them, by wall or CPU time.
    private func timeTable(_ metric: KeyPath<ChildRun, Double>, _ footnotes: inout Footnotes) -> String {
        let traced = overhead.modes.filter { $0 != .untraced }
        var rows = [
            ["workload", "untraced"] + traced.map(\.title)
                + (overhead.modes.contains(.heaptrack) ? ["heaptrack ÷ run", "heaptrack ÷ nframe 25"] : [])
        ]
        for workload in overhead.workloads {
            var row = [label(workload)]
            let seconds = overhead.runs[.untraced]?[workload.name]?.values.map { $0[keyPath: metric] } ?? []
            row.append(Summary(seconds)?.seconds ?? "n/a")
            for mode in traced {
                row.append(
                    cell(mode, workload.name, &footnotes) {
                        Summary(Array(overhead.ratios(mode, workload: workload.name, metric: metric).values))
                    })
            }
            if overhead.modes.contains(.heaptrack) {
                // Beside `run`, the linked binary's nframe 25: the same C core without the
                // preload, the dump at exit and the conversion.
                for ours in [Mode.run25, .nframe25] {
                    row.append(
                        cell(.heaptrack, workload.name, &footnotes, also: ours) {
                            Summary(
                                Array(
                                    overhead.ratios(.heaptrack, to: ours, workload: workload.name, metric: metric)
                                        .values))
                        })
                }
            }
            rows.append(row)
        }
        var geomean = ["geomean (b)–(e)", ""]
        for mode in traced {
            geomean.append(
                Summary(overhead.geometricMeanRatios(mode, over: geomeanWorkloads, metric: metric))?.ratio ?? "n/a")
        }
        if overhead.modes.contains(.heaptrack) {
            for ours in [Mode.run25, .nframe25] {
                geomean.append(
                    Summary(
                        overhead.geometricMeanRatios(.heaptrack, to: ours, over: geomeanWorkloads, metric: metric)
                    )?.ratio ?? "n/a")
            }
        }
        rows.append(geomean)
        let what = metric == \ChildRun.seconds
            ? "Wall time" : "CPU time (user + system, the program's and its reaped children's)"
        return "\(what): untraced seconds, then each mode's time ÷ untraced (median of \(repetitions)"
            + " interleaved runs, min–max):\n\n" + markdownTable(rows)
    }

    private func memoryTable(_ footnotes: inout Footnotes) -> String {
        let traced = overhead.modes.filter { $0 != .untraced }
        var rows = [["workload", "untraced peak RSS"] + traced.map(\.title)]
        for workload in overhead.workloads {
            var row = [label(workload)]
            let kibibytes = overhead.runs[.untraced]?[workload.name]?.values.map(\.maxRSSKiB) ?? []
            row.append(Summary(kibibytes).map { String(format: "%.1f MiB", $0.median / 1024) } ?? "n/a")
            for mode in traced {
                row.append(
                    cell(mode, workload.name, &footnotes) {
                        Summary(
                            Array(
                                overhead.ratios(mode, workload: workload.name, metric: \.maxRSSKiB).values))
                    })
            }
            rows.append(row)
        }
        return "Peak RSS (wait4's ru_maxrss: the largest process, which for heaptrack and run may be"
            + " the tool rather than the program), each mode ÷ untraced:\n\n" + markdownTable(rows)
    }

    private func costsTable(_ costs: TracerCosts, _ footnotes: inout Footnotes) -> String {
        var rows = [["measure", "nframe 1", "nframe 25"]]
        func both(_ title: String, _ make: (TracerCosts.Measurement) -> Result<Summary, Unavailable>,
                  _ format: (Summary) -> String) -> [String] {
            [title] + [TracerCosts.liveBlocks1, TracerCosts.liveBlocks25].map { measurement in
                switch make(measurement) {
                case .success(let summary): format(summary)
                case .failure(let reason): "n/a \(footnotes.mark(reason.reason))"
                }
            }
        }
        let bytes: (Summary) -> String = { String(format: "%.1f B (%.1f–%.1f)", $0.median, $0.min, $0.max) }
        rows.append(both("tracer memory per live block (tracemallocMemory() growth ÷ 1,000,000)",
                         { costs.summary($0, "bytes-per-block") }, bytes))
        rows.append(both("takeSnapshot(), 1,000,000 live blocks (first: symbolises 1,000 sites)",
                         { costs.summary($0, "snapshot-seconds") }, \.seconds))
        rows.append(both("statistics(.lineno) of it", { costs.summary($0, "statistics-seconds") }, \.seconds))
        rows.append(both("snapshot + statistics", { costs.snapshotAndStatistics($0) }, \.seconds))
        rows.append(both("takeSnapshot() again (symbols cached)",
                         { costs.summary($0, "cached-snapshot-seconds") }, \.seconds))
        func single(_ title: String, _ result: Result<Summary, Unavailable>) -> [String] {
            switch result {
            case .success(let summary): [title, "", summary.seconds]
            case .failure(let reason): [title, "", "n/a \(footnotes.mark(reason.reason))"]
            }
        }
        rows.append(single("dump(to:) of it", costs.summary(TracerCosts.liveBlocks25, "dump-seconds")))
        rows.append(single("Snapshot.load(from:) of that 1,000,000-trace file",
                           costs.summary(TracerCosts.load, "load-seconds")))
        switch costs.summary(TracerCosts.symbolize, "symbolize-seconds") {
        case .success(let summary):
            let functions = costs.values[TracerCosts.symbolize]?["functions"]?.min() ?? 0
            rows.append([
                "symbolising 10,000 unique addresses (first takeSnapshot(), 10,000 call sites;"
                    + " \(Int(functions)) distinct functions resolved)", summary.seconds, "",
            ])
        case .failure(let reason):
            rows.append(["symbolising 10,000 unique addresses", "n/a \(footnotes.mark(reason.reason))", ""])
        }
        return "Tracer costs, measured in-process by tracer-costs (1,000,000 live 32-byte blocks from"
            + " 1,000 C call sites; median of \(repetitions), min–max):\n\n" + markdownTable(rows)
    }

    private func instructionTable(_ counts: InstructionCounts, _ footnotes: inout Footnotes) -> String {
        var rows = [["mode", "instructions per malloc+free pair", "hook cost (− untraced)"]]
        let base = counts.perPair[.untraced]
        for mode in InstructionCounts.modes {
            if let reason = counts.unavailable[mode] {
                rows.append([mode.title, "n/a \(footnotes.mark(reason.reason))", ""])
            } else if let value = counts.perPair[mode] {
                let extra = base.map { String(format: "%+.0f", value - $0) } ?? ""
                rows.append([mode.title, String(format: "%.0f", value), mode == .untraced ? "" : extra])
            }
        }
        return "Instructions (callgrind, workload (a), (count at \(InstructionCounts.sizes.large) pairs −"
            + " count at \(InstructionCounts.sizes.small)) ÷ \(InstructionCounts.sizes.large - InstructionCounts.sizes.small)):\n\n"
            + markdownTable(rows)
    }

    /// The goals of issue 6, each with its target and PASS/MISS.
    var goals: [Goal] {
        func geomean(_ mode: Mode, to baseline: Mode = .untraced, metric: KeyPath<ChildRun, Double>)
            -> Result<Double, Unavailable>
        {
            let values = overhead.geometricMeanRatios(
                mode, to: baseline, over: geomeanWorkloads, metric: metric)
            guard let summary = Summary(values) else {
                let reason = overhead.unavailable[mode]?.values.first ?? overhead.unavailable[baseline]?.values.first
                return .failure(reason ?? Unavailable("not measured"))
            }
            return .success(summary.median)
        }
        func overheadGoal(_ name: String, _ mode: Mode, to baseline: Mode = .untraced, _ target: Double,
                          _ direction: Goal.Direction) -> Goal {
            Goal(name: name, target: target, direction: direction, unit: "x",
                 measured: geomean(mode, to: baseline, metric: \.seconds),
                 cpuMeasured: geomean(mode, to: baseline, metric: \.cpuSeconds))
        }
        func worse(_ results: [Result<Summary, Unavailable>]) -> Result<Double, Unavailable> {
            var worst = -Double.infinity
            for result in results {
                switch result {
                case .success(let summary): worst = max(worst, summary.median)
                case .failure(let reason): return .failure(reason)
                }
            }
            return .success(worst)
        }
        let liveBlocks = [TracerCosts.liveBlocks1, TracerCosts.liveBlocks25]
        let skipped = Result<Summary, Unavailable>.failure(Unavailable("skipped (--skip-costs)"))
        return [
            overheadGoal("linked, not tracing: geomean (b)–(e)", .linked, 1.02, .atMost),
            overheadGoal("nframe 1: geomean (b)–(e)", .nframe1, 1.3, .atMost),
            overheadGoal("nframe 25: geomean (b)–(e)", .nframe25, 2, .atMost),
            overheadGoal("heaptrack ÷ run --nframe 25: geomean (b)–(e)", .heaptrack, to: .run25, 5, .atLeast),
            Goal(name: "tracer memory per live block (worse of nframe 1, 25)", target: 32, direction: .atMost,
                 unit: " B", measured: worse(liveBlocks.map { costs?.summary($0, "bytes-per-block") ?? skipped })),
            Goal(name: "first snapshot + statistics(.lineno), 1,000,000 blocks (worse of nframe 1, 25)",
                 target: 0.5, direction: .atMost, unit: " s",
                 measured: worse(liveBlocks.map { costs?.snapshotAndStatistics($0) ?? skipped })),
        ]
    }

    private func goalTable() -> String {
        let rows = [["goal", "target", "measured (median)", "result", "by CPU time"]]
            + goals.map { [$0.name, $0.targetText, $0.measuredText, $0.verdict, $0.cpuText] }
        return "Goals (issue 6; times are wall time, the verdict by CPU time beside them):\n\n"
            + markdownTable(rows)
    }

    /// The cell of `mode` on a workload: the summary, or `n/a [n]` with the reason as a footnote.
    private func cell(
        _ mode: Mode, _ workload: String, _ footnotes: inout Footnotes, also other: Mode? = nil,
        _ summary: () -> Summary?
    ) -> String {
        for checked in [mode, other].compactMap({ $0 }) {
            if let reason = overhead.unavailable[checked]?[workload] {
                return "n/a \(footnotes.mark("\(checked.title): \(reason.reason)"))"
            }
        }
        return summary()?.ratio ?? "n/a"
    }

    private func label(_ workload: Workload) -> String {
        let letter = workload.summary.prefix { $0 != " " }
        return "\(letter) \(workload.name)"
    }
}

/// Reasons for `n/a` cells, numbered once each and listed under the tables.
struct Footnotes {
    private var reasons: [String] = []

    /// `[n]` for `reason`, numbering it when new.
    mutating func mark(_ reason: String) -> String {
        if let index = reasons.firstIndex(of: reason) { return "[\(index + 1)]" }
        reasons.append(reason)
        return "[\(reasons.count)]"
    }

    /// The numbered list, or nothing.
    var text: String {
        reasons.isEmpty
            ? "" : "\nn/a:\n" + reasons.enumerated().map { "[\($0.offset + 1)] \($0.element)\n" }.joined()
    }
}

/// A Markdown table of `rows`, the first being the header.
func markdownTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    let line = { (cells: [String]) in "| " + cells.joined(separator: " | ") + " |\n" }
    return line(header) + line(header.map { _ in "---" }) + rows.dropFirst().map(line).joined()
}
