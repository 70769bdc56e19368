import Foundation

/// The benchmark's output: Markdown tables and the goals, ready for the README.
struct Report {
    /// The workloads' runs, unless `--programs-only`.
    var overhead: Overhead?
    /// The runs of the programs without frame pointers (issue 11), unless `--skip-programs`.
    var programs: Overhead?
    var costs: TracerCosts?
    var counts: InstructionCounts?
    var repetitions: Int

    /// The whole report.
    var markdown: String {
        var footnotes = Footnotes()
        var text = ""
        if let overhead {
            for metric in [\ChildRun.seconds, \.cpuSeconds] {
                let what = metric == \ChildRun.seconds
                    ? "Wall time" : "CPU time (user + system, the program's and its reaped children's)"
                text += "\(what): untraced seconds, then each mode's time ÷ untraced; added time is"
                    + " (heaptrack − untraced) ÷ (run --nframe 25 − untraced) (median of \(repetitions)"
                    + " interleaved runs, min–max):\n\n"
                    + timeTable(overhead, metric, first: "workload", geomean: "geomean (b)–(e)", &footnotes) + "\n"
            }
            text += memoryTable(overhead, &footnotes) + "\n"
        }
        if let programs {
            text += "Programs without frame pointers (issue 11), wall time: untraced seconds, then each"
                + " mode's time ÷ untraced; added time is (heaptrack − untraced) ÷ (run --nframe 25 −"
                + " untraced); no FP ÷ FP is run --nframe 25 of the build without frame pointers ÷ that"
                + " of the build with them (median of \(repetitions) interleaved runs, min–max):\n\n"
                + timeTable(programs, \.seconds, first: "program", geomean: "geomean, no frame pointers", &footnotes)
                + "\n"
        }
        if let costs { text += costsTable(costs, &footnotes) + "\n" }
        if let counts { text += instructionTable(counts, &footnotes) + "\n" }
        text += goalTable() + footnotes.text
        return text
    }

    /// A column of a time table: per row, a value per repetition.
    private struct Column {
        var title: String
        /// The modes the values come from: a row on which one is n/a says why.
        var modes: [Mode]
        /// The rows of the geometric mean, when not the group's own.
        var geomeanRows: [String]? = nil
        var values: (String) -> [Int: Double]
    }

    /// The columns of a group's time table after its untraced seconds: each traced mode ÷
    /// untraced, heaptrack ÷ ours, the added-time ratio, and no FP ÷ FP when a row has a twin.
    private func columns(_ group: Overhead, _ metric: KeyPath<ChildRun, Double>) -> [Column] {
        var columns = group.modes.filter { $0 != .untraced }.map { mode in
            Column(title: mode.title, modes: [mode]) { group.ratios(mode, row: $0, metric: metric) }
        }
        guard group.modes.contains(.heaptrack) else { return columns }
        // Beside `run`, the linked binary's nframe 25: the same C core without the preload, the
        // dump at exit and the conversion.
        for ours in [Mode.run25, .nframe25] where group.modes.contains(ours) {
            columns.append(
                Column(title: "heaptrack ÷ \(ours == .run25 ? "run" : ours.title)", modes: [.heaptrack, ours]) {
                    group.ratios(.heaptrack, to: ours, row: $0, metric: metric)
                })
        }
        if group.modes.contains(.run25) {
            columns.append(
                Column(title: "added time, heaptrack ÷ run", modes: [.heaptrack, .run25]) {
                    group.addedTimeRatios(.heaptrack, to: .run25, row: $0, metric: metric)
                })
        }
        let twinned = group.rows.filter { $0.framePointerTwin != nil }.map(\.name)
        if group.modes.contains(.run25), !twinned.isEmpty {
            columns.append(
                Column(title: "no FP ÷ FP, run --nframe 25", modes: [.run25], geomeanRows: twinned) {
                    group.framePointerRatios(.run25, row: $0, metric: metric)
                })
        }
        return columns
    }

    /// A group's untraced seconds and its columns, by wall or CPU time, with a geometric-mean row.
    private func timeTable(
        _ group: Overhead, _ metric: KeyPath<ChildRun, Double>, first: String, geomean: String,
        _ footnotes: inout Footnotes
    ) -> String {
        let columns = columns(group, metric)
        var rows = [[first, "untraced"] + columns.map(\.title)]
        for row in group.rows {
            let seconds = group.runs[.untraced]?[row.name]?.values.map { $0[keyPath: metric] } ?? []
            var cells = [row.label, Summary(seconds)?.seconds ?? untracedCell(group, row.name, &footnotes)]
            for column in columns {
                if let geomeanRows = column.geomeanRows, !geomeanRows.contains(row.name) {
                    cells.append("")
                } else {
                    cells.append(
                        cell(group, column.modes, row.name, &footnotes) {
                            Summary(Array(column.values(row.name).values))
                        })
                }
            }
            rows.append(cells)
        }
        rows.append(
            [geomean, ""]
                + columns.map { column in
                    let over = column.geomeanRows ?? group.geomeanRows
                    return Summary(group.geometricMeans(over: over, column.values))?.ratio ?? "n/a"
                })
        return markdownTable(rows)
    }

    private func memoryTable(_ overhead: Overhead, _ footnotes: inout Footnotes) -> String {
        let traced = overhead.modes.filter { $0 != .untraced }
        var rows = [["workload", "untraced peak RSS"] + traced.map(\.title)]
        for workload in overhead.rows {
            var row = [workload.label]
            let kibibytes = overhead.runs[.untraced]?[workload.name]?.values.map(\.maxRSSKiB) ?? []
            row.append(Summary(kibibytes).map { String(format: "%.1f MiB", $0.median / 1024) } ?? "n/a")
            for mode in traced {
                row.append(
                    cell(overhead, [mode], workload.name, &footnotes) {
                        Summary(Array(overhead.ratios(mode, row: workload.name, metric: \.maxRSSKiB).values))
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

    /// The goals of issues 6 and 11, each with its target and PASS/MISS.
    var goals: [Goal] {
        /// The median of `values` (per-repetition geometric means of `group`), or why there is none.
        func median(_ group: Overhead?, skipped: String, modes: [Mode], _ values: (Overhead) -> [Double])
            -> Result<Double, Unavailable>
        {
            guard let group else { return .failure(Unavailable("skipped (\(skipped))")) }
            guard let summary = Summary(values(group)) else {
                let reason = modes.lazy.compactMap { group.unavailable[$0]?.values.first }.first
                return .failure(reason ?? Unavailable("not measured"))
            }
            return .success(summary.median)
        }
        func overheadGoal(_ name: String, _ mode: Mode, to baseline: Mode = .untraced, _ target: Double,
                          _ direction: Goal.Direction) -> Goal {
            func measured(_ metric: KeyPath<ChildRun, Double>) -> Result<Double, Unavailable> {
                median(overhead, skipped: "--programs-only", modes: [mode, baseline]) {
                    $0.geometricMeanRatios(mode, to: baseline, over: $0.geomeanRows, metric: metric)
                }
            }
            return Goal(name: name, target: target, direction: direction, unit: "x",
                        measured: measured(\.seconds), cpuMeasured: measured(\.cpuSeconds))
        }
        func addedTime(_ metric: KeyPath<ChildRun, Double>) -> Result<Double, Unavailable> {
            median(programs, skipped: "--skip-programs", modes: [.heaptrack, .run25, .untraced]) { group in
                group.geometricMeans(over: group.geomeanRows) {
                    group.addedTimeRatios(.heaptrack, to: .run25, row: $0, metric: metric)
                }
            }
        }
        func framePointers(_ metric: KeyPath<ChildRun, Double>) -> Result<Double, Unavailable> {
            median(programs, skipped: "--skip-programs", modes: [.run25, .untraced]) { group in
                group.geometricMeans(over: group.rows.filter { $0.framePointerTwin != nil }.map(\.name)) {
                    group.framePointerRatios(.run25, row: $0, metric: metric)
                }
            }
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
        let skipped = Result<Summary, Unavailable>.failure(
            Unavailable("skipped (--skip-costs or --programs-only)"))
        return [
            overheadGoal("linked, not tracing: geomean (b)–(e)", .linked, 1.02, .atMost),
            overheadGoal("nframe 1: geomean (b)–(e)", .nframe1, 1.3, .atMost),
            overheadGoal("nframe 25: geomean (b)–(e)", .nframe25, 2, .atMost),
            overheadGoal("heaptrack ÷ run --nframe 25: geomean (b)–(e)", .heaptrack, to: .run25, 5, .atLeast),
            Goal(name: "added time, heaptrack ÷ run --nframe 25: geomean, programs without frame pointers",
                 target: 3, direction: .atLeast, unit: "x", measured: addedTime(\.seconds),
                 cpuMeasured: addedTime(\.cpuSeconds)),
            Goal(name: "run --nframe 25, no FP ÷ FP: geomean, binary-trees in C and Swift",
                 target: 1.5, direction: .atMost, unit: "x", measured: framePointers(\.seconds),
                 cpuMeasured: framePointers(\.cpuSeconds)),
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
        return "Goals (issues 6 and 11; times are wall time, the verdict by CPU time beside them):\n\n"
            + markdownTable(rows)
    }

    /// A cell of `modes` on a row: the summary, or `n/a [n]` with the reason of the first mode
    /// that is n/a there as a footnote.
    private func cell(
        _ group: Overhead, _ modes: [Mode], _ row: String, _ footnotes: inout Footnotes, _ summary: () -> Summary?
    ) -> String {
        for mode in modes {
            if let reason = group.unavailable[mode]?[row] {
                return "n/a \(footnotes.mark("\(mode.title): \(reason.reason)"))"
            }
        }
        return summary()?.ratio ?? "n/a"
    }

    /// The untraced cell of a row without untraced runs: why.
    private func untracedCell(_ group: Overhead, _ row: String, _ footnotes: inout Footnotes) -> String {
        group.unavailable[.untraced]?[row].map { "n/a \(footnotes.mark($0.reason))" } ?? "n/a"
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
