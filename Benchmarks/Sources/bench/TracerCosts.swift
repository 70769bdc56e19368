import Foundation

/// The costs measured inside a traced process by `tracer-costs`: tracer memory per live block
/// and the seconds of snapshot, statistics, dump, load and symbolising.
struct TracerCosts: Sendable {
    /// One `tracer-costs` command and the `key=value` fields it prints.
    struct Measurement: Hashable, Sendable {
        var arguments: [String]
        var fields: [String]
    }

    /// 1,000,000 live blocks from 1,000 call sites, traced with nframe 1; dumps nothing.
    static let liveBlocks1 = Measurement(
        arguments: ["live-blocks", "1", "/dev/null"],
        fields: ["bytes-per-block", "traces", "snapshot-seconds", "statistics-seconds", "cached-snapshot-seconds"])
    /// The same with nframe 25, dumped for `load`.
    static let liveBlocks25 = Measurement(
        arguments: ["live-blocks", "25", "live-blocks.tm"],
        fields: [
            "bytes-per-block", "traces", "snapshot-seconds", "statistics-seconds", "cached-snapshot-seconds",
            "dump-seconds",
        ])
    /// Snapshot.load of the nframe 25 dump.
    static let load = Measurement(arguments: ["load", "live-blocks.tm"], fields: ["traces", "load-seconds"])
    /// The first takeSnapshot() over 10,000 unique call sites.
    static let symbolize = Measurement(
        arguments: ["symbolize"], fields: ["functions", "symbolize-seconds"])

    /// values[measurement][field], one value per repetition that succeeded.
    var values: [Measurement: [String: [Double]]] = [:]
    /// Why a measurement has no numbers.
    var unavailable: [Measurement: Unavailable] = [:]

    /// Runs every measurement `repetitions` times, interleaved; relative paths name files in
    /// `scratch`.
    static func measure(repetitions: Int, tools: Tools, scratch: String) -> TracerCosts {
        var costs = TracerCosts()
        guard let program = tools.tracerCosts.path else {
            let reason = Unavailable(tools.tracerCosts.missingReason!)
            for measurement in [liveBlocks1, liveBlocks25, load, symbolize] {
                costs.unavailable[measurement] = reason
            }
            return costs
        }
        for repetition in 0..<repetitions {
            for measurement in [liveBlocks1, liveBlocks25, load, symbolize]
            where costs.unavailable[measurement] == nil {
                let arguments = measurement.arguments.map {
                    $0.hasSuffix(".tm") ? scratch + "/" + $0 : $0
                }
                let command = Command(executable: program, arguments: arguments)
                do {
                    let run = try runChild(command, scratch: scratch)
                    guard run.status == 0 else {
                        costs.unavailable[measurement] = Unavailable(
                            "exit status \(run.status): \(run.lastErrorLine)")
                        continue
                    }
                    for name in measurement.fields {
                        guard let value = field(name, in: run.stdout).flatMap(Double.init) else {
                            costs.unavailable[measurement] = Unavailable("printed no \(name)")
                            break
                        }
                        costs.values[measurement, default: [:]][name, default: []].append(value)
                    }
                } catch {
                    costs.unavailable[measurement] = Unavailable("\(error)")
                }
            }
            note("[\(repetition + 1)/\(repetitions)] tracer costs")
        }
        try? FileManager.default.removeItem(atPath: scratch + "/live-blocks.tm")
        return costs
    }

    /// The summary of one field, or why there is none.
    func summary(_ measurement: Measurement, _ name: String) -> Result<Summary, Unavailable> {
        if let reason = unavailable[measurement] { return .failure(reason) }
        guard let summary = Summary(values[measurement]?[name] ?? []) else {
            return .failure(Unavailable("not measured"))
        }
        return .success(summary)
    }

    /// Per repetition, snapshot plus statistics seconds of a live-blocks measurement.
    func snapshotAndStatistics(_ measurement: Measurement) -> Result<Summary, Unavailable> {
        if let reason = unavailable[measurement] { return .failure(reason) }
        let snapshot = values[measurement]?["snapshot-seconds"] ?? []
        let statistics = values[measurement]?["statistics-seconds"] ?? []
        guard let summary = Summary(zip(snapshot, statistics).map { $0 + $1 }) else {
            return .failure(Unavailable("not measured"))
        }
        return .success(summary)
    }
}
