import Testing
@testable import TraceMalloc

private let mainFrame = Frame(filename: "main.swift", lineno: 3, function: "main()")

@Test func snapshotKeepsTracesInOrderAndStoresEachTracebackOnce() {
    let traceback = Traceback(frames: [mainFrame], totalNframe: 1)
    let traces = (0..<100).map { Trace(domain: UInt32($0 % 3), size: $0, traceback: traceback) }
    let snapshot = Snapshot(traces: traces, tracebackLimit: 5)
    #expect(snapshot.traces == traces)
    #expect(snapshot.tracebackLimit == 5)
    #expect(snapshot.tracebacks.count == 1)
}

@Test func internedTracebacksKeepWhatPythonEqualityIgnores() {
    let other = Frame(filename: "main.swift", lineno: 3, function: "other()")
    let traces = [
        Trace(domain: 0, size: 1, traceback: Traceback(frames: [mainFrame], totalNframe: 1)),
        Trace(domain: 0, size: 1, traceback: Traceback(frames: [mainFrame], totalNframe: 4)),
        Trace(domain: 0, size: 1, traceback: Traceback(frames: [other], totalNframe: 1)),
    ]
    let snapshot = Snapshot(traces: traces, tracebackLimit: 1)
    #expect(snapshot.tracebacks.count == 3)
    #expect(snapshot.traces.map(\.traceback.totalNframe) == [1, 4, 1])
    #expect(snapshot.traces.map { $0.traceback[0].function } == ["main()", "main()", "other()"])
}

@Test func snapshotsAreEqualWhenLimitAndTracesInOrderAre() {
    let a = Trace(domain: 0, size: 1, traceback: Traceback(frames: [mainFrame]))
    let b = Trace(domain: 0, size: 2, traceback: Traceback(frames: [mainFrame]))
    #expect(Snapshot(traces: [a, b], tracebackLimit: 1) == Snapshot(traces: [a, b], tracebackLimit: 1))
    #expect(Snapshot(traces: [a, b], tracebackLimit: 1) != Snapshot(traces: [b, a], tracebackLimit: 1))
    #expect(Snapshot(traces: [a, b], tracebackLimit: 1) != Snapshot(traces: [a, b], tracebackLimit: 2))
    var deeper = a
    deeper.traceback.totalNframe = 3
    #expect(Snapshot(traces: [a], tracebackLimit: 1) != Snapshot(traces: [deeper], tracebackLimit: 1))
}

@Test func identicalSnapshotsAlsoAgreeOnFunctionsAndImages() {
    let plain = Trace(domain: 0, size: 1, traceback: Traceback(frames: [Frame(filename: "main.swift", lineno: 3)]))
    let native = Trace(domain: 0, size: 1, traceback: Traceback(frames: [mainFrame]))
    let snapshot = Snapshot(traces: [native], tracebackLimit: 1)
    #expect(snapshot == Snapshot(traces: [plain], tracebackLimit: 1))
    #expect(!snapshot.isIdentical(to: Snapshot(traces: [plain], tracebackLimit: 1)))
    #expect(snapshot.isIdentical(to: Snapshot(traces: [native], tracebackLimit: 1)))
}
