import Testing
@testable import TraceMalloc

private let traceback = Traceback(frames: [Frame(filename: "a.swift", lineno: 4)], totalNframe: 1)

@Test func traceEqualityIncludesTotalNframe() {
    let trace = Trace(domain: 0, size: 64, traceback: traceback)
    var deeper = trace
    deeper.traceback.totalNframe = 9
    #expect(trace != deeper)
    #expect(trace == Trace(domain: 0, size: 64, traceback: traceback))
    #expect(trace != Trace(domain: 1, size: 64, traceback: traceback))
    #expect(trace != Trace(domain: 0, size: 65, traceback: traceback))
}

@Test func tracePrintsItsTracebackAndSize() {
    let trace = Trace(domain: 3, size: 10240, traceback: traceback)
    #expect(trace.description == "a.swift:4: 10.0 KiB")
    #expect(trace.debugDescription
        == "<Trace domain=3 size=10.0 KiB, traceback=<Traceback (<Frame filename='a.swift' lineno=4>,) total_nframe=1>>")
}
