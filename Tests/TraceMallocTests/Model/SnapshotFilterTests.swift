import Testing
@testable import TraceMalloc

private let snapshot = pythonSnapshot([
    (0, 1, [("/app/main.swift", 10)], 1),
    (7, 2, [("/lib/util.swift", 3), ("/app/main.swift", 11)], 2),
    (0, 4, [("/lib/util.swift", 3)], 1),
], limit: 4)

@Test func noFiltersKeepEveryTrace() {
    #expect(snapshot.filterTraces([]) == snapshot)
}

@Test func filteredSnapshotsKeepOnlyTheTracebacksTheyUse() {
    let filtered = snapshot.filterTraces([DomainFilter(inclusive: true, domain: 7)])
    #expect(filtered.traces.map(\.size) == [2])
    #expect(filtered.tracebacks.count == 1)
    #expect(filtered.tracebackLimit == 4)
}

@Test func anyInclusiveAndEveryExclusiveFilterDecide() {
    let kept = snapshot.filterTraces([
        Filter(inclusive: true, filenamePattern: "/app/*"),
        Filter(inclusive: true, filenamePattern: "*util*"),
        DomainFilter(inclusive: false, domain: 7),
    ])
    #expect(kept.traces.map(\.size) == [1, 4])
}

/// A filter of the caller's own: keeps traces of at least `minimum` bytes.
private struct LargeBlocks: TraceFilter {
    var inclusive: Bool { true }
    var minimum: Int

    func passes(_ trace: Trace) -> Bool { trace.size >= minimum }
}

@Test func customFiltersSeeWholeTraces() {
    #expect(snapshot.filterTraces([LargeBlocks(minimum: 2)]).traces.map(\.size) == [2, 4])
}
