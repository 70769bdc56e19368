import Foundation

/// Wall time and peak RSS of every row (a workload or a program) in every mode, from runs
/// interleaved as A B C … A B C …, so that a slow minute of a shared machine hits every mode
/// alike.
struct Overhead: Sendable {
    /// The rows measured, in the table's order.
    var rows: [Row]
    /// The modes measured, `.untraced` first.
    var modes: [Mode]
    /// runs[mode][row][repetition], only for runs that passed `Mode.verify`.
    var runs: [Mode: [String: [Int: ChildRun]]] = [:]
    /// Why a mode, or a mode on one row, has no numbers.
    var unavailable: [Mode: [String: Unavailable]] = [:]

    /// The names of the rows that make up the geometric means.
    var geomeanRows: [String] {
        rows.filter(\.inGeomean).map(\.name)
    }

    /// Runs each mode on each row `repetitions` times.
    ///
    /// Each mode first runs once on `probe`, something tiny; a mode that fails there is n/a
    /// everywhere and costs nothing more. A mode that fails on a row is not run on it again.
    ///
    /// - Throws: `BenchError.noBaseline` when the untraced probe cannot run.
    static func measure(
        rows: [Row], modes: [Mode], probe: Target, repetitions: Int, tools: Tools, scratch: String
    ) throws -> Overhead {
        var overhead = Overhead(rows: rows, modes: modes)
        var available = modes
        for mode in modes {
            if let reason = overhead.runOnce(mode, probe, tools: tools, scratch: scratch) {
                for row in rows { overhead.unavailable[mode, default: [:]][row.name] = reason }
                available.removeAll { $0 == mode }
            }
        }
        guard available.contains(.untraced) else {
            throw BenchError.noBaseline(overhead.unavailable[.untraced]?.values.first?.reason ?? "")
        }
        for repetition in 0..<repetitions {
            for row in rows {
                var progress = "[\(repetition + 1)/\(repetitions)] \(row.name):"
                for mode in available where overhead.unavailable[mode]?[row.name] == nil {
                    if let reason = overhead.runOnce(
                        mode, row.target, as: (row.name, repetition), tools: tools, scratch: scratch)
                    {
                        overhead.unavailable[mode, default: [:]][row.name] = reason
                        progress += " \(mode.rawValue) n/a"
                    } else {
                        let seconds = overhead.runs[mode]![row.name]![repetition]!.seconds
                        progress += " \(mode.rawValue) \(formatSeconds(seconds))s"
                    }
                }
                note(progress)
            }
        }
        return overhead
    }

    /// Runs `mode` once and records the run under a row's repetition when given; returns why it
    /// failed, or nil.
    private mutating func runOnce(
        _ mode: Mode, _ target: Target, as record: (row: String, repetition: Int)? = nil, tools: Tools,
        scratch: String
    ) -> Unavailable? {
        let command: Command
        switch mode.command(target, tools: tools, scratch: scratch) {
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
        if let record { runs[mode, default: [:]][record.row, default: [:]][record.repetition] = run }
        return nil
    }

    /// The per-repetition ratios of `mode` to `baseline` on a row, by `metric`: only
    /// repetitions in which both ran are paired.
    func ratios(
        _ mode: Mode, to baseline: Mode = .untraced, row: String, metric: KeyPath<ChildRun, Double>
    ) -> [Int: Double] {
        perRepetition([(mode, row), (baseline, row)], metric: metric) { $0[0] / $0[1] }
    }

    /// Per repetition, the time `mode` adds to the untraced run ÷ the time `ours` adds, on a row:
    /// (mode − untraced) ÷ (ours − untraced).
    ///
    /// Unlike a ratio of times, this says how much less a tracer costs also on programs that
    /// allocate little, where both times are close to the untraced one. A repetition in which
    /// either tracer added no time (noise) has no ratio.
    func addedTimeRatios(
        _ mode: Mode, to ours: Mode, row: String, metric: KeyPath<ChildRun, Double>
    ) -> [Int: Double] {
        perRepetition([(mode, row), (ours, row), (.untraced, row)], metric: metric) { times in
            let theirs = times[0] - times[2], ours = times[1] - times[2]
            return theirs > 0 && ours > 0 ? theirs / ours : nil
        }
    }

    /// Per repetition, `mode`'s time on a row built without frame pointers ÷ its time on the
    /// same program built with them; empty when the row has no such twin.
    func framePointerRatios(_ mode: Mode, row: String, metric: KeyPath<ChildRun, Double>) -> [Int: Double] {
        guard let twin = rows.first(where: { $0.name == row })?.framePointerTwin else { return [:] }
        return perRepetition([(mode, row), (mode, twin)], metric: metric) { $0[0] / $0[1] }
    }

    /// Per repetition, `combine` of the `metric`s of the runs of `cells` (mode, row), in order:
    /// only repetitions in which every cell ran; `combine` may decline with nil.
    private func perRepetition(
        _ cells: [(mode: Mode, row: String)], metric: KeyPath<ChildRun, Double>,
        _ combine: ([Double]) -> Double?
    ) -> [Int: Double] {
        let measured = cells.map { runs[$0.mode]?[$0.row] ?? [:] }
        var results: [Int: Double] = [:]
        for repetition in measured[0].keys {
            let values = measured.compactMap { $0[repetition]?[keyPath: metric] }
            if values.count == cells.count, let result = combine(values) { results[repetition] = result }
        }
        return results
    }

    /// Per repetition, the geometric mean over `rows` of `mode`'s ratio to `baseline` by
    /// `metric`; empty when any of them has no number.
    func geometricMeanRatios(
        _ mode: Mode, to baseline: Mode = .untraced, over rows: [String],
        metric: KeyPath<ChildRun, Double> = \.seconds
    ) -> [Double] {
        geometricMeans(over: rows) { ratios(mode, to: baseline, row: $0, metric: metric) }
    }

    /// Per repetition, the geometric mean over `rows` of the per-repetition values `perRow`
    /// gives each; only repetitions in which every row has a value, and empty when a row has none.
    func geometricMeans(over rows: [String], _ perRow: (String) -> [Int: Double]) -> [Double] {
        let values = rows.map(perRow)
        guard let first = values.first, values.allSatisfy({ !$0.isEmpty }) else { return [] }
        return first.keys.sorted().compactMap { repetition in
            let row = values.compactMap { $0[repetition] }
            return row.count == rows.count ? geometricMean(row) : nil
        }
    }
}

/// Writes a progress line on stderr; stdout carries only the report.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
