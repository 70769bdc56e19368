import Testing
@testable import TraceMalloc

@Test func statisticsOfAnEmptySnapshotAreEmpty() throws {
    let empty = Snapshot(traces: [], tracebackLimit: 1)
    for keyType in KeyType.allCases {
        #expect(try empty.statistics(keyType).isEmpty)
        #expect(try empty.compare(to: empty, keyType).isEmpty)
    }
}

@Test func cumulativeTracebackStatisticsThrow() {
    let snapshot = Snapshot(traces: [], tracebackLimit: 1)
    #expect(throws: TraceMallocError.cumulativeWithTraceback) { try snapshot.statistics(.traceback, cumulative: true) }
    #expect(throws: TraceMallocError.cumulativeWithTraceback) {
        try snapshot.compare(to: snapshot, .traceback, cumulative: true)
    }
}

@Test func statisticKeysHaveNoTotalNframeAndKeepTheFirstFunctionSeen() throws {
    let frame = Frame(filename: "a.swift", lineno: 2, function: "f()")
    let snapshot = Snapshot(
        traces: [Trace(domain: 0, size: 8, traceback: Traceback(frames: [frame], totalNframe: 30))],
        tracebackLimit: 1)
    let lineno = try #require(try snapshot.statistics(.lineno).first)
    #expect(lineno.traceback.totalNframe == nil)
    #expect(lineno.traceback[0].function == "f()")
    let filename = try #require(try snapshot.statistics(.filename).first)
    #expect(filename.traceback[0] == Frame(filename: "a.swift", lineno: 0))
    #expect(filename.traceback[0].function == nil)
    #expect(try snapshot.statistics(.traceback).first?.traceback.totalNframe == nil)
}

@Test func anEmptyTracebackIsItsOwnKey() throws {
    let snapshot = Snapshot(traces: [Trace(domain: 0, size: 8, traceback: Traceback(frames: []))], tracebackLimit: 1)
    #expect(try snapshot.statistics(.lineno).map(\.description) == ["<unknown>:0: size=8 B, count=1, average=8 B"])
    #expect(try snapshot.statistics(.filename, cumulative: true).isEmpty)
}

/// A snapshot shaped like a real one: `traceCount` traces over `tracebackCount` tracebacks of 10
/// frames in 1,000 files, built through the storage the tracer fills.
private func largeSnapshot(traceCount: Int, tracebackCount: Int) -> Snapshot {
    var generator = SystemRandomNumberGenerator()
    let tracebacks = (0..<tracebackCount).map { index in
        Traceback(frames: (0..<10).map { depth in
            Frame(filename: "/src/Module\(index % 37)/File\((index * 7 + depth) % 1000).swift", lineno: depth * 10 + index % 50)
        }, totalNframe: 10)
    }
    let records = (0..<traceCount).map { _ in
        Snapshot.Record(domain: 0, size: Int.random(in: 1...4096, using: &generator),
                        traceback: Int.random(in: 0..<tracebackCount, using: &generator))
    }
    return Snapshot(tracebacks: tracebacks, records: records, tracebackLimit: 10)
}

/// The statistics `statistics` must find, worked out the plain way: sizes and counts summed per
/// traceback, then added to each key `keys` gives the traceback.
private func expectedStatistics(_ snapshot: Snapshot, keys: (Traceback) -> [Frame]) -> Set<Statistic> {
    var sizes = [Int](repeating: 0, count: snapshot.tracebacks.count)
    var counts = [Int](repeating: 0, count: snapshot.tracebacks.count)
    for record in snapshot.records {
        sizes[record.traceback] += record.size
        counts[record.traceback] += 1
    }
    var totals: [Frame: (size: Int, count: Int)] = [:]
    for (index, traceback) in snapshot.tracebacks.enumerated() where counts[index] > 0 {
        for key in keys(traceback) {
            totals[key, default: (0, 0)].size += sizes[index]
            totals[key, default: (0, 0)].count += counts[index]
        }
    }
    return Set(totals.map { Statistic(traceback: Traceback(frames: [$0.key]), size: $0.value.size, count: $0.value.count) })
}

@Test func statisticsOfAMillionTracesSumEveryTraceAtItsKey() throws {
    let snapshot = largeSnapshot(traceCount: 1_000_000, tracebackCount: 10_000)

    let lineno = try snapshot.statistics(.lineno)
    let filename = try snapshot.statistics(.filename, cumulative: true)

    let expectedLineno = expectedStatistics(snapshot) { [$0.frames.last!] }
    let expectedFilename = expectedStatistics(snapshot) { $0.frames.map { Frame(filename: $0.filename, lineno: 0) } }
    #expect(lineno.count == expectedLineno.count && Set(lineno) == expectedLineno)
    #expect(filename.count == expectedFilename.count && Set(filename) == expectedFilename)
    #expect(lineno.reduce(0) { $0 + $1.count } == 1_000_000)
    for statistics in [lineno, filename] {
        #expect(zip(statistics, statistics.dropFirst()).allSatisfy { $0.size >= $1.size })
    }
}

@Test func sizesAddingUpPastIntMaxThrowInsteadOfTrapping() throws {
    let frame = Frame(filename: "big.swift", lineno: 1)
    let huge = Trace(domain: 0, size: Int.max, traceback: Traceback(frames: [frame]))
    let twice = Snapshot(traces: [huge, huge], tracebackLimit: 1)
    #expect(throws: TraceMallocError.sizeOverflow) { try twice.statistics(.lineno) }
    #expect(throws: TraceMallocError.sizeOverflow) { try twice.statistics(.traceback) }
    let recursive = Snapshot(
        traces: [Trace(domain: 0, size: Int.max, traceback: Traceback(frames: [frame, frame]))], tracebackLimit: 2)
    #expect(throws: TraceMallocError.sizeOverflow) { try recursive.statistics(.filename, cumulative: true) }
    let negative = Snapshot(traces: [Trace(domain: 0, size: -Int.max, traceback: Traceback(frames: [frame]))],
                            tracebackLimit: 1)
    #expect(throws: TraceMallocError.sizeOverflow) { try negative.compare(to: Snapshot(traces: [huge], tracebackLimit: 1), .lineno) }
    #expect(try Snapshot(traces: [huge], tracebackLimit: 1).statistics(.lineno).first?.size == Int.max)
}
