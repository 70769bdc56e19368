import Foundation
import Testing
import TraceMalloc

// `top`, `compare` and the filter options against what CPython's tracemalloc printed for the
// same traces (Tests/Goldens, made by `python3 Tests/Goldens/generate.py`). Each case runs the
// tool a few times, so every case gets one key type for `top` and another for `compare`, in
// rotation, and every third case one of its filter sets.

private let goldenFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Goldens/snapshots.jsonl")

/// A golden filter: `["filter", inclusive, pattern, lineno, all_frames, domain]` or
/// `["domain", inclusive, domain]`.
private enum GoldenFilter: Sendable {
    case pattern(inclusive: Bool, pattern: String, lineno: Int?, allFrames: Bool, domain: Int?)
    case domain(inclusive: Bool, domain: Int)

    init(_ spec: [Any]) {
        let inclusive = spec[1] as! Bool
        if spec[0] as! String == "domain" {
            self = .domain(inclusive: inclusive, domain: spec[2] as! Int)
        } else {
            self = .pattern(
                inclusive: inclusive, pattern: spec[2] as! String, lineno: spec[3] as? Int,
                allFrames: spec[4] as! Bool, domain: spec[5] as? Int)
        }
    }
}

/// One line of snapshots.jsonl, as far as the tool's tests need it.
private struct GoldenCase: Sendable {
    var name: String
    var snapshot: Snapshot
    var oldSnapshot: Snapshot
    /// Expected `statistics` and `compare_to` lines per variant: "lineno", "filename/cumulative", …
    var statistics: [String: [String]]
    var compare: [String: [String]]
    /// Filter sets, and the indexes of the traces Python kept.
    var filters: [(specs: [GoldenFilter], kept: [Int])]

    init(_ json: [String: Any]) {
        func snapshot(_ key: String) -> Snapshot {
            let traces = (json[key] as! [[String: Any]]).map { trace in
                let frames = (trace["frames"] as! [[String: Any]]).reversed().map {
                    Frame(filename: $0["filename"] as! String, lineno: $0["lineno"] as! Int)
                }
                return Trace(
                    domain: UInt32(trace["domain"] as! Int), size: trace["size"] as! Int,
                    traceback: Traceback(frames: frames, totalNframe: trace["total_nframe"] as? Int))
            }
            return Snapshot(traces: traces, tracebackLimit: json["limit"] as! Int)
        }
        name = json["name"] as! String
        self.snapshot = snapshot("traces")
        oldSnapshot = snapshot("old_traces")
        statistics = json["statistics"] as! [String: [String]]
        compare = json["compare"] as! [String: [String]]
        filters = (json["filters"] as! [[String: Any]]).map {
            (($0["filters"] as! [[Any]]).map(GoldenFilter.init), $0["kept"] as! [Int])
        }
    }
}

private let goldenCases: [GoldenCase] = {
    let text = try! String(contentsOf: goldenFile, encoding: .utf8)
    return text.split(separator: "\n").map {
        GoldenCase(try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])
    }
}()

private let variants = ["lineno", "filename", "traceback", "lineno/cumulative", "filename/cumulative"]

/// `--key-type K [--cumulative]` for a golden variant name.
private func options(_ variant: String) -> [String] {
    let parts = variant.split(separator: "/")
    return ["--key-type", String(parts[0])] + (parts.count > 1 ? ["--cumulative"] : []) + ["--limit", "0"]
}

/// The command-line options for a golden filter set, or nil when the options cannot say it:
/// `--all-frames` applies to every pattern, pattern filters take no domain, and a pattern
/// ending in `:DIGITS` would be read as a line.
private func filterOptions(_ specs: [GoldenFilter]) -> [String]? {
    var arguments: [String] = []
    var allFrames: Set<Bool> = []
    for spec in specs {
        switch spec {
        case .domain(let inclusive, let domain):
            arguments.append("--\(inclusive ? "include" : "exclude")-domain=\(domain)")
        case .pattern(let inclusive, let pattern, let lineno, let all, let domain):
            guard domain == nil, lineno.map({ $0 >= 0 }) ?? (FilePattern(pattern).lineno == nil) else { return nil }
            allFrames.insert(all)
            arguments.append("--\(inclusive ? "include" : "exclude")=\(pattern)\(lineno.map { ":\($0)" } ?? "")")
        }
    }
    guard allFrames.count <= 1 else { return nil }
    return arguments + (allFrames.first == true ? ["--all-frames"] : [])
}

/// How the tool reads a `--include` value, to know which golden patterns it can express.
private struct FilePattern {
    var lineno: Int?

    init(_ argument: String) {
        let digits = argument.reversed().prefix { $0.isASCII && $0.isNumber }
        lineno = !digits.isEmpty && argument.dropLast(digits.count).hasSuffix(":") ? Int(String(digits.reversed())) : nil
    }
}

/// What `print` writes for each line: file names may hold line breaks, so the output is not
/// split into lines to compare.
private func printed(_ lines: [String]) -> String {
    lines.map { $0 + "\n" }.joined()
}

@Test func topAndComparePrintExactlyPythonsLinesForEveryGoldenCase() throws {
    let directory = try TemporaryDirectory()
    #expect(goldenCases.count >= 200)
    for (index, golden) in goldenCases.enumerated() {
        let new = directory.path("\(golden.name).new.json")
        let old = directory.path("\(golden.name).old.tm")
        try golden.snapshot.dump(to: new, format: .json)
        try golden.oldSnapshot.dump(to: old)

        let topVariant = variants[index % variants.count]
        let top = try ToolProcess.run(["top", new] + options(topVariant), in: directory.url)
        #expect(top.stdout == printed(golden.statistics[topVariant]!), "\(golden.name) top \(topVariant): \(top.stderr)")

        let compareVariant = variants[(index + 1) % variants.count]
        let compare = try ToolProcess.run(["compare", old, new] + options(compareVariant), in: directory.url)
        #expect(compare.stdout == printed(golden.compare[compareVariant]!), "\(golden.name) compare \(compareVariant): \(compare.stderr)")
    }
}

@Test func filterOptionsKeepWhatPythonKeptForTheGoldenFilterSets() throws {
    let directory = try TemporaryDirectory()
    var checked = 0
    for golden in goldenCases.enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
        guard let (specs, kept) = golden.filters.first(where: { filterOptions($0.specs) != nil }) else { continue }
        let file = directory.path("\(golden.name).tm")
        try golden.snapshot.dump(to: file)
        let traces = golden.snapshot.traces
        let expected = try Snapshot(traces: kept.map { traces[$0] }, tracebackLimit: golden.snapshot.tracebackLimit)
            .statistics(.traceback).map(\.description)

        let top = try ToolProcess.run(["top", file, "--key-type", "traceback", "--limit", "0"] + filterOptions(specs)!, in: directory.url)
        #expect(top.stdout == printed(expected), "\(golden.name) \(specs): \(top.stderr)")
        checked += 1
    }
    #expect(checked >= 40)
}
