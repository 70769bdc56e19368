import Testing
@testable import TraceMalloc

private func frames(_ names: String...) -> [Frame] {
    names.map { Frame(filename: $0, lineno: 1) }
}

@Test func tracebackIsACollectionOldestFirst() {
    let traceback = Traceback(frames: frames("main.swift", "Cache.swift"), totalNframe: 7)
    #expect(traceback.count == 2)
    #expect(traceback.first?.filename == "main.swift")
    #expect(traceback.last?.filename == "Cache.swift")
    #expect(traceback[1].filename == "Cache.swift")
    #expect(traceback.totalNframe == 7)
}

@Test func tracebackEqualityIgnoresTotalNframe() {
    let short = Traceback(frames: frames("a", "b"), totalNframe: 2)
    let truncated = Traceback(frames: frames("a", "b"), totalNframe: 9)
    #expect(short == truncated)
    #expect(short.hashValue == truncated.hashValue)
    #expect(!short.isIdentical(to: truncated))
}

@Test func tracebacksOrderLexicographicallyWithPrefixesFirst() {
    #expect(Traceback(frames: frames("a")) < Traceback(frames: frames("a", "a")))
    #expect(Traceback(frames: frames("a", "z")) < Traceback(frames: frames("b")))
    #expect(Traceback(frames: []) < Traceback(frames: frames("")))
}

@Test func tracebackPrintsItsOldestFrame() {
    #expect(Traceback(frames: frames("main.swift", "Cache.swift")).description == "main.swift:1")
    #expect(Traceback(frames: []).description == "<unknown>:0")
}

@Test func tracebackReprListsFramesAsAPythonTuple() {
    #expect(Traceback(frames: frames("a")).debugDescription
        == "<Traceback (<Frame filename='a' lineno=1>,)>")
    #expect(Traceback(frames: frames("a", "b"), totalNframe: 3).debugDescription
        == "<Traceback (<Frame filename='a' lineno=1>, <Frame filename='b' lineno=1>) total_nframe=3>")
    #expect(Traceback(frames: []).debugDescription == "<Traceback ()>")
}

@Test func formatShowsTheStrippedSourceLine() throws {
    let source = #filePath  // this file: line 1 is `import Testing`
    let traceback = Traceback(frames: [Frame(filename: source, lineno: 1), Frame(filename: "<unknown>", lineno: 1)])
    #expect(traceback.format() == ["  File \"\(source)\", line 1", "    import Testing", "  File \"<unknown>\", line 1"])
    #expect(traceback.format(limit: 1, mostRecentFirst: true) == ["  File \"<unknown>\", line 1"])
    #expect(traceback.format(limit: -1) == ["  File \"\(source)\", line 1", "    import Testing"])
    #expect(traceback.format(limit: -5) == [])
}
