import Foundation
import Testing
@testable import TraceMalloc

// Compares every line the model prints with what CPython's tracemalloc printed for the same raw
// traces. The goldens and their generator are in Tests/Goldens (`python3 Tests/Goldens/generate.py`).

private let goldens = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appending(path: "Goldens")
private let placeholder = "{SOURCES}"
private let sourcesDirectory = goldens.appending(path: "sources").path

private struct GoldenTrace: Decodable {
    struct GoldenFrame: Decodable {
        var filename: String
        var lineno: Int
    }

    var domain: UInt32
    var size: Int
    var frames: [GoldenFrame]
    var totalNframe: Int?

    /// The trace Python built from `(domain, size, frames, total_nframe)`, frames most recent first.
    func trace(sourcesIn directory: String = placeholder) -> Trace {
        let frames = frames.reversed().map {
            Frame(filename: $0.filename.replacingOccurrences(of: placeholder, with: directory), lineno: $0.lineno)
        }
        return Trace(domain: domain, size: size, traceback: Traceback(frames: frames, totalNframe: totalNframe))
    }
}

/// `["filter", inclusive, pattern, lineno, all_frames, domain]` or `["domain", inclusive, domain]`.
private struct GoldenFilter: Decodable {
    var filter: any TraceFilter

    init(from decoder: any Decoder) throws {
        var fields = try decoder.unkeyedContainer()
        let kind = try fields.decode(String.self)
        let inclusive = try fields.decode(Bool.self)
        if kind == "domain" {
            filter = DomainFilter(inclusive: inclusive, domain: try fields.decode(UInt32.self))
        } else {
            filter = Filter(
                inclusive: inclusive, filenamePattern: try fields.decode(String.self),
                lineno: try fields.decode(Int?.self), allFrames: try fields.decode(Bool.self),
                domain: try fields.decode(UInt32?.self))
        }
    }
}

private struct GoldenCase: Decodable {
    struct Filtering: Decodable {
        var filters: [GoldenFilter]
        var patterns: [String?]
        var kept: [Int]
    }

    struct Formatting: Decodable {
        var trace: Int
        var limit: Int?
        var mostRecentFirst: Bool
        var lines: [String]
    }

    var name: String
    var limit: Int
    var traces: [GoldenTrace]
    var oldTraces: [GoldenTrace]
    var traceStr: [String]
    var traceRepr: [String]
    var statistics: [String: [String]]
    var statisticsRepr: [String: [String]]
    var compare: [String: [String]]
    var compareRepr: [String: [String]]
    var filters: [Filtering]
    var formats: [Formatting]

    var snapshot: Snapshot { Snapshot(traces: traces.map { $0.trace() }, tracebackLimit: limit) }
    var oldSnapshot: Snapshot { Snapshot(traces: oldTraces.map { $0.trace() }, tracebackLimit: limit) }
}

private struct Units: Decodable {
    var python: String
    var formatSize: [FormatSizeCase]
    var averages: [AverageCase]
    var fnmatch: [FNMatchCase]
    var repr: [[String]]
    var sourceLines: [SourceLineCase]

    /// `[int or float.hex(), signed, expected]`.
    struct FormatSizeCase: Decodable {
        var size: Double
        var exactSize: Int?
        var signed: Bool
        var expected: String

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            if let integer = try? fields.decode(Int.self) {
                exactSize = integer
                size = Double(integer)
            } else {
                let hex = try fields.decode(String.self)
                size = try #require(Double(hex), "not a hexadecimal float: \(hex)")
            }
            signed = try fields.decode(Bool.self)
            expected = try fields.decode(String.self)
        }
    }

    /// `[size, count, str(Statistic)]`.
    struct AverageCase: Decodable {
        var size: Int
        var count: Int
        var expected: String

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            (size, count, expected) = (try fields.decode(Int.self), try fields.decode(Int.self), try fields.decode(String.self))
        }
    }

    /// `[name, pattern, fnmatchcase(name, pattern)]`.
    struct FNMatchCase: Decodable {
        var name: String
        var pattern: String
        var matches: Bool

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            (name, pattern, matches) = (try fields.decode(String.self), try fields.decode(String.self), try fields.decode(Bool.self))
        }
    }

    /// `[filename, lineno, Traceback(((filename, lineno),)).format()]`.
    struct SourceLineCase: Decodable {
        var filename: String
        var lineno: Int
        var lines: [String]

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            (filename, lineno, lines) = (try fields.decode(String.self), try fields.decode(Int.self), try fields.decode([String].self))
        }
    }
}

private func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return decoder
}

private let cases: [GoldenCase] = {
    let text = try! String(contentsOf: goldens.appending(path: "snapshots.jsonl"), encoding: .utf8)
    return text.split(separator: "\n").map { try! decoder().decode(GoldenCase.self, from: Data($0.utf8)) }
}()

private let units: Units = try! decoder().decode(Units.self, from: Data(contentsOf: goldens.appending(path: "units.json")))

/// The golden key names: `lineno`, `filename/cumulative`, ….
private func keyName(_ keyType: KeyType, _ cumulative: Bool) -> String {
    keyType.rawValue + (cumulative ? "/cumulative" : "")
}

private let keyVariants: [(KeyType, Bool)] = [
    (.lineno, false), (.filename, false), (.traceback, false), (.lineno, true), (.filename, true),
]

@Test func goldensCoverWhatTheyClaim() throws {
    #expect(cases.count >= 200)
    let sizes = cases.flatMap { $0.traces.map(\.size) }
    #expect(sizes.contains(0) && sizes.contains { $0 > 1 << 40 } && sizes.contains { $0 > 1 << 53 })
    let names = Set(cases.flatMap { $0.traces.flatMap { $0.frames.map { CodePointString(value: $0.filename) } } })
    #expect(names.contains(CodePointString(value: "caf\u{E9}.swift")))
    #expect(names.contains(CodePointString(value: "cafe\u{301}.swift")))
    #expect(cases.contains { $0.traces.contains { Set($0.frames.map { "\($0.filename):\($0.lineno)" }).count < $0.frames.count } })
    let filterKinds = cases.flatMap { $0.filters.flatMap { $0.filters.map { $0.filter } } }
    #expect(filterKinds.contains { ($0 as? Filter)?.allFrames == true })
    #expect(filterKinds.contains { ($0 as? Filter)?.domain != nil && $0.inclusive })
    #expect(filterKinds.contains { ($0 as? Filter)?.domain != nil && !$0.inclusive })
    #expect(filterKinds.contains { ($0 as? Filter)?.lineno != nil })
    #expect(filterKinds.contains { $0 is DomainFilter })
    #expect(units.python == "3.11.7")
}

@Test func tracesPrintAsPython() {
    for golden in cases {
        let traces = golden.snapshot.traces
        #expect(traces.map(\.description) == golden.traceStr, "\(golden.name)")
        #expect(traces.map(\.debugDescription) == golden.traceRepr, "\(golden.name)")
    }
}

@Test func statisticsEqualPythonsForEveryKeyType() throws {
    for golden in cases {
        let snapshot = golden.snapshot
        for (keyType, cumulative) in keyVariants {
            let name = keyName(keyType, cumulative)
            let statistics = try snapshot.statistics(keyType, cumulative: cumulative)
            #expect(statistics.map(\.description) == golden.statistics[name], "\(golden.name) \(name)")
            if let reprs = golden.statisticsRepr[name] {
                #expect(statistics.map(\.debugDescription) == reprs, "\(golden.name) \(name)")
            }
        }
    }
}

@Test func compareEqualsPythonsForEveryKeyType() throws {
    for golden in cases {
        let (new, old) = (golden.snapshot, golden.oldSnapshot)
        for (keyType, cumulative) in keyVariants {
            let name = keyName(keyType, cumulative)
            let diffs = try new.compare(to: old, keyType, cumulative: cumulative)
            #expect(diffs.map(\.description) == golden.compare[name], "\(golden.name) \(name)")
            if let reprs = golden.compareRepr[name] {
                #expect(diffs.map(\.debugDescription) == reprs, "\(golden.name) \(name)")
            }
        }
    }
}

@Test func filterTracesKeepsWhatPythonKeeps() {
    for golden in cases {
        let snapshot = golden.snapshot
        let traces = snapshot.traces
        for (row, filtering) in golden.filters.enumerated() {
            let filters = filtering.filters.map(\.filter)
            let filtered = snapshot.filterTraces(filters)
            #expect(filtered.traces == filtering.kept.map { traces[$0] }, "\(golden.name) filters \(row)")
            #expect(filtered.tracebackLimit == snapshot.tracebackLimit)
            let patterns = filters.map { ($0 as? Filter)?.filenamePattern }
            #expect(patterns == filtering.patterns, "\(golden.name) filters \(row)")
        }
    }
}

@Test func formatEqualsPythonsWithSourceLines() {
    for golden in cases {
        for formatting in golden.formats {
            let traceback = golden.traces[formatting.trace].trace(sourcesIn: sourcesDirectory).traceback
            let lines = traceback.format(limit: formatting.limit, mostRecentFirst: formatting.mostRecentFirst)
                .map { $0.replacingOccurrences(of: sourcesDirectory, with: placeholder) }
            #expect(lines == formatting.lines, "\(golden.name) trace \(formatting.trace)")
        }
    }
}

@Test func sourceLinesAreReadAsLinecacheReadsThem() {
    for source in units.sourceLines {
        let filename = source.filename.replacingOccurrences(of: placeholder, with: sourcesDirectory)
        let lines = Traceback(frames: [Frame(filename: filename, lineno: source.lineno)]).format()
            .map { $0.replacingOccurrences(of: sourcesDirectory, with: placeholder) }
        #expect(lines == source.lines, "\(source.filename):\(source.lineno)")
    }
}

@Test func formatSizeEqualsPythons() {
    for golden in units.formatSize {
        let text = golden.exactSize.map { formatSize($0, signed: golden.signed) }
            ?? formatSize(golden.size, signed: golden.signed)
        #expect(text == golden.expected, "\(golden.exactSize.map(String.init) ?? "\(golden.size)") \(golden.signed)")
    }
}

@Test func averagesRoundOnceAsPythonsIntegerDivision() {
    let key = Traceback(frames: [Frame(filename: "x", lineno: 1)])
    for golden in units.averages {
        #expect(Statistic(traceback: key, size: golden.size, count: golden.count).description == golden.expected)
    }
}

@Test func fnmatchAgreesWithPythonsFnmatchcase() {
    for golden in units.fnmatch {
        #expect(FNMatchPattern(golden.pattern).matches(golden.name) == golden.matches,
                "\(pythonRepr(golden.name)) \(pythonRepr(golden.pattern))")
    }
}

@Test func reprOfStringsEqualsPythons() {
    for golden in units.repr {
        #expect(pythonRepr(golden[0]) == golden[1])
    }
}
