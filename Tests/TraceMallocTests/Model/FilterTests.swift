import Testing
@testable import TraceMalloc

private func trace(domain: UInt32 = 0, _ frames: (String, Int)...) -> Trace {
    Trace(domain: domain, size: 1, traceback: Traceback(frames: frames.map { Frame(filename: $0.0, lineno: $0.1) }))
}

@Test func filterNormalisesATrailingLowercasePyc() {
    #expect(Filter(inclusive: true, filenamePattern: "*.pyc").filenamePattern == "*.py")
    #expect(Filter(inclusive: true, filenamePattern: "*.PYC").filenamePattern == "*.PYC")
    #expect(Filter(inclusive: true, filenamePattern: "x.py").passes(trace(("x.pyc", 1))))
    // By code point: a prepended mark does not hide the suffix (Swift's hasSuffix would).
    #expect(Filter(inclusive: true, filenamePattern: "\u{600}.pyc").filenamePattern == "\u{600}.py")
}

@Test func filterTestsOnlyTheMostRecentFrameUnlessAllFrames() {
    let trace = trace(("main.swift", 3), ("lib.swift", 8))
    #expect(!Filter(inclusive: true, filenamePattern: "main.swift").passes(trace))
    #expect(Filter(inclusive: true, filenamePattern: "main.swift", allFrames: true).passes(trace))
    #expect(Filter(inclusive: false, filenamePattern: "main.swift").passes(trace))
    #expect(!Filter(inclusive: false, filenamePattern: "main.swift", allFrames: true).passes(trace))
}

@Test func filterLinenoMustMatchTheSameFrame() {
    let trace = trace(("main.swift", 3), ("lib.swift", 8))
    #expect(Filter(inclusive: true, filenamePattern: "lib.swift", lineno: 8).passes(trace))
    #expect(!Filter(inclusive: true, filenamePattern: "lib.swift", lineno: 3).passes(trace))
    #expect(!Filter(inclusive: true, filenamePattern: "*", lineno: 3).passes(trace))
    #expect(Filter(inclusive: true, filenamePattern: "*", lineno: 3, allFrames: true).passes(trace))
}

@Test func filterDomainNarrowsInclusiveAndSparesOtherDomainsWhenExclusive() {
    let inFive = trace(domain: 5, ("a", 1))
    let inZero = trace(domain: 0, ("a", 1))
    #expect(Filter(inclusive: true, filenamePattern: "a", domain: 5).passes(inFive))
    #expect(!Filter(inclusive: true, filenamePattern: "a", domain: 5).passes(inZero))
    #expect(!Filter(inclusive: false, filenamePattern: "a", domain: 5).passes(inFive))
    #expect(Filter(inclusive: false, filenamePattern: "a", domain: 5).passes(inZero))
}

@Test func anEmptyTracebackHasNoFrameToMatch() {
    let empty = Trace(domain: 0, size: 1, traceback: Traceback(frames: []))
    #expect(!Filter(inclusive: true, filenamePattern: "*").passes(empty))
    #expect(Filter(inclusive: false, filenamePattern: "*").passes(empty))
    #expect(Filter(inclusive: false, filenamePattern: "*", allFrames: true).passes(empty))
}

@Test func filtersCompareByTheirProperties() {
    #expect(Filter(inclusive: true, filenamePattern: "*.pyc") == Filter(inclusive: true, filenamePattern: "*.py"))
    #expect(Filter(inclusive: true, filenamePattern: "a") != Filter(inclusive: true, filenamePattern: "a", lineno: 1))
    #expect(Filter(inclusive: true, filenamePattern: "caf\u{E9}") != Filter(inclusive: true, filenamePattern: "cafe\u{301}"))
}
