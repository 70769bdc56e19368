import Foundation
import Testing
import TraceMalloc

/// A snapshot built the way Python's `Snapshot(raw_traces, traceback_limit)` is: each raw
/// trace is (domain, size, frames most recent first, total_nframe).
func pythonSnapshot(_ raw: [(UInt32, Int, [(String, Int)], Int?)], limit: Int) -> Snapshot {
    Snapshot(
        traces: raw.map { domain, size, frames, total in
            Trace(
                domain: domain, size: size,
                traceback: Traceback(frames: frames.reversed().map { Frame(filename: $0.0, lineno: $0.1) }, totalNframe: total))
        },
        tracebackLimit: limit)
}

/// SPEC §10's `S`.
let specS = pythonSnapshot(
    [(0, 10, [("a.py", 2), ("b.py", 1)], 2), (0, 30, [("a.py", 2), ("b.py", 5)], 3), (1, 5000, [("c.py", 7)], 1)],
    limit: 3)

/// SPEC §10's `F`, for the filter options: each trace's size names it.
let specF = pythonSnapshot(
    [
        (0, 1, [("/app/main.py", 10), ("/lib/util.py", 3)], 2),
        (0, 2, [("/lib/util.py", 3), ("/app/main.py", 10)], 2),
        (5, 4, [("/app/main.py", 11)], 1),
        (0, 8, [("/app/Mod.PY", 1)], 1),
        (0, 16, [("/app/x.pyc", 1)], 1),
    ],
    limit: 2)

/// The sizes of the traces `top --key-type traceback` lists: the traces a filter kept.
func keptSizes(_ result: ToolProcess.Result) -> [Int] {
    result.lines.map { line in
        let size = line.split(separator: "size=")[1].prefix { $0.isNumber }
        return Int(size)!
    }.sorted()
}

@Test func topPrintsPythonsStatisticLinesForEachKeyType() throws {
    let directory = try TemporaryDirectory()
    try specS.dump(to: directory.path("s.tm"))

    let lineno = try ToolProcess.run(["top", "s.tm"], in: directory.url)
    #expect(lineno.status == 0)
    #expect(lineno.lines == ["c.py:7: size=5000 B, count=1, average=5000 B", "a.py:2: size=40 B, count=2, average=20 B"])

    let traceback = try ToolProcess.run(["top", "s.tm", "--key-type", "traceback"], in: directory.url)
    #expect(traceback.lines == [
        "c.py:7: size=5000 B, count=1, average=5000 B",
        "b.py:5: size=30 B, count=1, average=30 B",
        "b.py:1: size=10 B, count=1, average=10 B",
    ])

    let cumulative = try ToolProcess.run(["top", "s.tm", "--key-type", "filename", "--cumulative"], in: directory.url)
    #expect(cumulative.lines == [
        "c.py:0: size=5000 B, count=1, average=5000 B",
        "b.py:0: size=40 B, count=2, average=20 B",
        "a.py:0: size=40 B, count=2, average=20 B",
    ])
}

@Test func topReadsJSONAndMergesSeveralFilesAsOneProcess() throws {
    let directory = try TemporaryDirectory()
    let traces = specS.traces
    try Snapshot(traces: Array(traces[..<2]), tracebackLimit: 3).dump(to: directory.path("a.tm"))
    try Snapshot(traces: [traces[2]], tracebackLimit: 3).dump(to: directory.path("b.json"), format: .json)

    let merged = try ToolProcess.run(["top", "a.tm", "b.json"], in: directory.url)
    #expect(merged.status == 0)
    #expect(merged.lines == ["c.py:7: size=5000 B, count=1, average=5000 B", "a.py:2: size=40 B, count=2, average=20 B"])
}

@Test func topLimitDefaultsToTenAndZeroPrintsEveryLine() throws {
    let directory = try TemporaryDirectory()
    let many = pythonSnapshot((1...12).map { (0, $0, [("f\($0).swift", $0)], 1) }, limit: 1)
    try many.dump(to: directory.path("many.tm"))

    let byDefault = try ToolProcess.run(["top", "many.tm"], in: directory.url)
    #expect(byDefault.lines.count == 10)
    #expect(byDefault.lines.first == "f12.swift:12: size=12 B, count=1, average=12 B")
    #expect(try ToolProcess.run(["top", "many.tm", "--limit", "0"], in: directory.url).lines.count == 12)
    #expect(try ToolProcess.run(["top", "many.tm", "--limit", "3"], in: directory.url).lines.last
        == "f10.swift:10: size=10 B, count=1, average=10 B")
}

@Test func compareOldNewPrintsPythonsStatisticDiffLines() throws {
    let directory = try TemporaryDirectory()
    func sized(_ pairs: [(String, Int)]) -> Snapshot {
        pythonSnapshot(pairs.map { (0, $0.1, [($0.0, 1)], 1) }, limit: 1)
    }
    try sized([("a", 100), ("b", 50), ("b", 50), ("c", 100), ("d", 60), ("e", 10)]).dump(to: directory.path("new.tm"))
    try sized([("a", 100), ("b", 100), ("c", 0), ("d", 10), ("e", 60), ("f", 50)]).dump(to: directory.path("old.tm"))

    let result = try ToolProcess.run(["compare", "old.tm", "new.tm"], in: directory.url)
    #expect(result.status == 0)
    #expect(result.lines == [
        "c:1: size=100 B (+100 B), count=1 (+0), average=100 B",
        "d:1: size=60 B (+50 B), count=1 (+0), average=60 B",
        "e:1: size=10 B (-50 B), count=1 (+0), average=10 B",
        "f:1: size=0 B (-50 B), count=0 (-1)",
        "b:1: size=100 B (+0 B), count=2 (+1), average=50 B",
        "a:1: size=100 B (+0 B), count=1 (+0), average=100 B",
    ])
}

@Test func filterOptionsKeepWhatPythonsFilterTracesKeeps() throws {
    let directory = try TemporaryDirectory()
    try specF.dump(to: directory.path("f.tm"))
    func kept(_ options: [String]) throws -> [Int] {
        keptSizes(try ToolProcess.run(["top", "f.tm", "--key-type", "traceback", "--limit", "0"] + options, in: directory.url))
    }
    #expect(try kept([]) == [1, 2, 4, 8, 16])
    #expect(try kept(["--include", "/app/*"]) == [1, 4, 8, 16])
    #expect(try kept(["--include", "/app/*", "--all-frames"]) == [1, 2, 4, 8, 16])
    #expect(try kept(["--include", "*.py"]) == [1, 2, 4, 16])
    #expect(try kept(["--include", "*util.py", "--include", "*Mod.PY"]) == [2, 8])
    #expect(try kept(["--include", "/app/*", "--exclude", "*main.py:11"]) == [1, 8, 16])
    #expect(try kept(["--include", "*main.py:10"]) == [1])
    #expect(try kept(["--exclude-domain", "0"]) == [4])
    #expect(try kept(["--include-domain", "5"]) == [4])
}

@Test func exportWritesJSONThatLoadsBackEqual() throws {
    let directory = try TemporaryDirectory()
    try specS.dump(to: directory.path("s.tm"))

    let result = try ToolProcess.run(["export", "s.tm", "--format", "json", "--output", "s.json"], in: directory.url)
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty)
    let text = try String(contentsOfFile: directory.path("s.json"), encoding: .utf8)
    #expect(text.contains("\"format\""))
    #expect(text.contains("swift-tracemalloc-snapshot"))
    #expect(try Snapshot.load(from: directory.path("s.json")) == specS)
}

@Test func exportCollapsedWritesOneLinePerStackOldestFirstWithEscapedNames() throws {
    let directory = try TemporaryDirectory()
    let main = Frame(filename: "/src/main.swift", lineno: 3, function: "main")
    let parse = Frame(filename: "/src/Parser.swift", lineno: 40, function: "Parser.parse(_:) -> [Token]")
    let odd = Frame(filename: "/src/odd.swift", lineno: 7, function: "odd;name 100%")
    let anonymous = Frame(filename: "/src/gen.c", lineno: 12)
    let snapshot = Snapshot(
        traces: [
            Trace(domain: 0, size: 100, traceback: Traceback(frames: [main, parse])),
            Trace(domain: 0, size: 50, traceback: Traceback(frames: [main, parse])),
            Trace(domain: 0, size: 7, traceback: Traceback(frames: [main, odd])),
            Trace(domain: 3, size: 9, traceback: Traceback(frames: [anonymous])),
        ],
        tracebackLimit: 2)
    try snapshot.dump(to: directory.path("s.tm"))

    let result = try ToolProcess.run(["export", "s.tm", "--format", "collapsed", "-o", "s.folded"], in: directory.url)
    #expect(result.status == 0)
    #expect(try String(contentsOfFile: directory.path("s.folded"), encoding: .utf8) == """
        /src/gen.c:12 9
        main;Parser.parse(_:) -> [Token] 150
        main;odd%3Bname 100%25 7

        """)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["s.folded", "s.tm"])
}

@Test func everyUsageOrFileErrorIsOneStderrLineAndExitStatus2() throws {
    let directory = try TemporaryDirectory()
    try specS.dump(to: directory.path("s.tm"))
    try Data("not a snapshot at all".utf8).write(to: directory.url.appendingPathComponent("junk.tm"))
    _ = FileManager.default.createFile(atPath: directory.path("empty.tm"), contents: Data())
    var truncated = try Data(contentsOf: directory.url.appendingPathComponent("s.tm"))
    truncated.removeLast(5)
    try truncated.write(to: directory.url.appendingPathComponent("cut.tm"))
    try FileManager.default.createDirectory(atPath: directory.path("adirectory"), withIntermediateDirectories: false)
    try Data("the user's".utf8).write(to: directory.url.appendingPathComponent("adirectory/keep"))

    let cases: [(arguments: [String], mentions: String)] = [
        (["top", "missing.tm"], "missing.tm"),
        (["top", "junk.tm"], "junk.tm"),
        (["top", "empty.tm"], "empty.tm"),
        (["top", "cut.tm"], "cut.tm"),
        (["top", "s.tm", "junk.tm"], "junk.tm"),
        (["compare", "s.tm", "missing.tm"], "missing.tm"),
        (["export", "junk.tm", "--format", "json", "--output", "x.json"], "junk.tm"),
        (["top", "s.tm", "--bogus"], "--bogus"),
        (["top"], "<file>"),
        (["top", "s.tm", "--key-type", "foo"], "foo"),
        (["top", "s.tm", "--limit", "-1"], "--limit must be 0 (all lines) or more, not -1"),
        (["top", "s.tm", "--key-type", "traceback", "--cumulative"], "cumulative mode cannot by used with key type 'traceback'"),
        (["top", "s.tm", "--include-domain", "x"], "x"),
        (["export", "s.tm", "--format", "pprof", "--output", "x.pb"], "not yet supported"),
        (["export", "s.tm", "--format", "html", "--output", "x.html"], "not yet supported"),
        (["export", "s.tm", "--format", "collapsed", "--output", "/nonexistent/dir/x"], "/nonexistent/dir/x"),
        (["export", "s.tm", "--format", "json", "--output", "adirectory"], "adirectory: is a directory"),
        (["run", "--bogus", "--", "true"], "--bogus"),
        (["run", "--nframe", "0", "--", "true"], "--nframe"),
        (["run", "--interval", "0", "--", "true"], "--interval"),
        (["run", "--interval", "-1", "--", "true"], "--interval must be at least 0.001 seconds"),
        (["run", "--nframe", "-1", "--", "true"], "--nframe must be in range [1; 65535], not -1"),
        (["run"], "program"),
        (["run", "--output", "/nonexistent/dir/x.tm", "--", "true"], "/nonexistent/dir"),
        (["frobnicate"], "frobnicate"),
    ]
    for (arguments, mention) in cases {
        let result = try ToolProcess.run(arguments, in: directory.url)
        #expect(result.status == 2, "\(arguments)")
        #expect(result.stdout.isEmpty, "\(arguments)")
        #expect(result.errorLines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("swift-tracemalloc: "), "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(arguments)")
    }
    #expect(!FileManager.default.fileExists(atPath: directory.path("x.pb")))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("adirectory")) == ["keep"])

    let noTracer = try ToolProcess.run(
        ["run", "--", "true"], in: directory.url, environment: ["SWIFTTRACEMALLOC_PRELOAD": "/nonexistent/libtracer.so"])
    #expect(noTracer.status == 2)
    #expect(noTracer.errorLines == [
        "swift-tracemalloc: the tracer library /nonexistent/libtracer.so is missing: build it with 'swift build' (it is built with the tool) or set SWIFTTRACEMALLOC_PRELOAD to its path",
    ])
}

@Test func everySubcommandHasHelpWithAnExample() throws {
    let directory = try TemporaryDirectory()
    for subcommand in ["run", "top", "compare", "export"] {
        let result = try ToolProcess.run([subcommand, "--help"], in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"), "\(subcommand)")
        #expect(result.stdout.contains("swift-tracemalloc \(subcommand)"), "\(subcommand)")
    }
    #expect(try ToolProcess.run(["run", "--help"], in: directory.url).stdout.contains("99%"))
}
