import Testing
@testable import TraceMalloc

// SPEC §10: the results verified against python3 3.11.7, one test per numbered result that
// concerns the snapshot model.

private let specSnapshot = pythonSnapshot([
    (0, 10, [("a.py", 2), ("b.py", 1)], 2),
    (0, 30, [("a.py", 2), ("b.py", 5)], 3),
    (1, 5000, [("c.py", 7)], 1),
], limit: 3)

private let recursive = pythonSnapshot([(0, 100, [("r.py", 3), ("r.py", 3), ("r.py", 9)], 3)], limit: 5)

private func oneFrameSnapshot(_ sizes: [(String, Int)]) -> Snapshot {
    pythonSnapshot(sizes.map { (0, $0.1, [($0.0, 1)], 1) }, limit: 1)
}

@Test func spec10_1_unsignedSizesChooseTheUnitBeforeRounding() {
    let sizes = [0, 1023, 1024, 10239, 10240, 102399, 102400, 10485759, 10485760]
    #expect(sizes.map { formatSize($0, signed: false) } == [
        "0 B", "1023 B", "1024 B", "10239 B", "10.0 KiB", "100.0 KiB", "100 KiB", "10240 KiB", "10.0 MiB",
    ])
}

@Test func spec10_2_signedSizesTiesToEvenAndNegativeZero() {
    let signed = [0, 5, -5, -10240, 10 << 40, 1 << 60].map { formatSize($0, signed: true) }
    #expect(signed == ["+0 B", "+5 B", "-5 B", "-10.0 KiB", "+10.0 TiB", "+1048576 TiB"])
    #expect(formatSize(2.5, signed: false) == "2 B")
    #expect(formatSize(-0.4, signed: false) == "-0 B")
}

@Test func spec10_3_traceAndTracebackReadOldestFirst() {
    let trace = specSnapshot.traces[0]
    #expect(trace.description == "b.py:1: 10 B")
    #expect(trace.traceback.first?.description == "b.py:1")
    #expect(trace.traceback.last?.description == "a.py:2")
    #expect(trace.traceback.totalNframe == 2)
}

@Test func spec10_4_linenoAndFilenameStatisticsUseTheMostRecentFrame() throws {
    #expect(try specSnapshot.statistics(.lineno).map(\.description) == [
        "c.py:7: size=5000 B, count=1, average=5000 B",
        "a.py:2: size=40 B, count=2, average=20 B",
    ])
    #expect(try specSnapshot.statistics(.filename).map(\.description) == [
        "c.py:0: size=5000 B, count=1, average=5000 B",
        "a.py:0: size=40 B, count=2, average=20 B",
    ])
}

@Test func spec10_5_tracebackStatisticsPrintTheOldestFrame() throws {
    #expect(try specSnapshot.statistics(.traceback).map(\.description) == [
        "c.py:7: size=5000 B, count=1, average=5000 B",
        "b.py:5: size=30 B, count=1, average=30 B",
        "b.py:1: size=10 B, count=1, average=10 B",
    ])
}

@Test func spec10_6_cumulativeFilenameTiesSortByDescendingFilename() throws {
    #expect(try specSnapshot.statistics(.filename, cumulative: true).map(\.description) == [
        "c.py:0: size=5000 B, count=1, average=5000 B",
        "b.py:0: size=40 B, count=2, average=20 B",
        "a.py:0: size=40 B, count=2, average=20 B",
    ])
}

@Test func spec10_7_cumulativeCountsRecursionWithoutDeduplication() throws {
    #expect(try recursive.statistics(.lineno, cumulative: true).map(\.description) == [
        "r.py:3: size=200 B, count=2, average=100 B",
        "r.py:9: size=100 B, count=1, average=100 B",
    ])
    #expect(try recursive.statistics(.filename, cumulative: true).map(\.description) == [
        "r.py:0: size=300 B, count=3, average=100 B",
    ])
}

@Test func spec10_8_statisticAverageRoundsHalfToEvenAndIsOmittedForZeroCount() {
    let key = Traceback(frames: [Frame(filename: "x.py", lineno: 1)])
    #expect(Statistic(traceback: key, size: 5, count: 2).description == "x.py:1: size=5 B, count=2, average=2 B")
    #expect(Statistic(traceback: key, size: 7, count: 2).description == "x.py:1: size=7 B, count=2, average=4 B")
    #expect(Statistic(traceback: key, size: 0, count: 0).description == "x.py:1: size=0 B, count=0")
}

@Test func spec10_9_compareSortsByAbsoluteSizeDiffThenSize() throws {
    let new = oneFrameSnapshot([("a", 100), ("b", 50), ("b", 50), ("c", 100), ("d", 60), ("e", 10)])
    let old = oneFrameSnapshot([("a", 100), ("b", 100), ("c", 0), ("d", 10), ("e", 60), ("f", 50)])
    #expect(try new.compare(to: old, .lineno).map(\.description) == [
        "c:1: size=100 B (+100 B), count=1 (+0), average=100 B",
        "d:1: size=60 B (+50 B), count=1 (+0), average=60 B",
        "e:1: size=10 B (-50 B), count=1 (+0), average=10 B",
        "f:1: size=0 B (-50 B), count=0 (-1)",
        "b:1: size=100 B (+0 B), count=2 (+1), average=50 B",
        "a:1: size=100 B (+0 B), count=1 (+0), average=100 B",
    ])
}

@Test func spec10_10_formatLimitsFollowPythonSlicing() {
    let traceback = pythonTraceback((0..<5).map { ("f\($0)", $0) })
    #expect(traceback.map(\.description) == ["f4:4", "f3:3", "f2:2", "f1:1", "f0:0"])
    #expect(traceback.format(limit: 2) == ["  File \"f1\", line 1", "  File \"f0\", line 0"])
    #expect(traceback.format(limit: -2) == [
        "  File \"f4\", line 4", "  File \"f3\", line 3", "  File \"f2\", line 2",
    ])
    #expect(traceback.format(limit: 0) == [])
    #expect(traceback.format(limit: 2, mostRecentFirst: true) == ["  File \"f0\", line 0", "  File \"f1\", line 1"])
}

@Test func spec10_11_filtersKeepTheseSizes() {
    let snapshot = pythonSnapshot([
        (0, 1, [("/app/main.py", 10), ("/lib/util.py", 3)], 2),
        (0, 2, [("/lib/util.py", 3), ("/app/main.py", 10)], 2),
        (5, 4, [("/app/main.py", 11)], 1),
        (0, 8, [("/app/Mod.PY", 1)], 1),
        (0, 16, [("/app/x.pyc", 1)], 1),
    ], limit: 2)
    let cases: [(filters: [any TraceFilter], sizes: [Int])] = [
        ([Filter(inclusive: true, filenamePattern: "/app/*")], [1, 4, 8, 16]),
        ([Filter(inclusive: true, filenamePattern: "/app/*", allFrames: true)], [1, 2, 4, 8, 16]),
        ([Filter(inclusive: false, filenamePattern: "/app/*", domain: 5)], [1, 2, 8, 16]),
        ([Filter(inclusive: true, filenamePattern: "*.py")], [1, 2, 4, 16]),
        ([Filter(inclusive: true, filenamePattern: "*util.py"), Filter(inclusive: true, filenamePattern: "*Mod.PY")],
         [2, 8]),
        ([Filter(inclusive: true, filenamePattern: "/app/*"),
          Filter(inclusive: false, filenamePattern: "*main.py", lineno: 11)], [1, 8, 16]),
        ([DomainFilter(inclusive: false, domain: 0)], [4]),
    ]
    for (row, expected) in cases.enumerated() {
        #expect(snapshot.filterTraces(expected.filters).traces.map(\.size) == expected.sizes, "row \(row + 1)")
    }
}

@Test func spec10_12_errorMessagesAreCPythons() {
    #expect(throws: TraceMallocError.unknownKeyType("foo")) { try KeyType(parsing: "foo") }
    #expect(TraceMallocError.unknownKeyType("foo").description == "unknown key_type: 'foo'")
    #expect(throws: TraceMallocError.cumulativeWithTraceback) {
        try specSnapshot.statistics(.traceback, cumulative: true)
    }
    #expect(TraceMallocError.cumulativeWithTraceback.description
        == "cumulative mode cannot by used with key type 'traceback'")
}
