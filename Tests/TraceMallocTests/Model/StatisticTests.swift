import Testing
@testable import TraceMalloc

private let key = Traceback(frames: [Frame(filename: "a.swift", lineno: 5)])

@Test func statisticPrintsAnAverageOnlyForNonzeroCounts() {
    #expect(Statistic(traceback: key, size: 5120, count: 2).description
        == "a.swift:5: size=5120 B, count=2, average=2560 B")
    #expect(Statistic(traceback: key, size: 0, count: 0).description == "a.swift:5: size=0 B, count=0")
}

@Test func statisticReprIsPythons() {
    #expect(Statistic(traceback: key, size: 5120, count: 2).debugDescription
        == "<Statistic traceback=<Traceback (<Frame filename='a.swift' lineno=5>,)> size=5120 count=2>")
}

@Test func statisticsSortBySizeThenCountThenTracebackDescending() {
    let other = Traceback(frames: [Frame(filename: "b.swift", lineno: 1)])
    let big = Statistic(traceback: key, size: 10, count: 1)
    #expect(big.sortsBefore(Statistic(traceback: key, size: 9, count: 5)))
    #expect(Statistic(traceback: key, size: 10, count: 2).sortsBefore(big))
    #expect(Statistic(traceback: other, size: 10, count: 1).sortsBefore(big))
    #expect(!big.sortsBefore(big))
}
