import Testing
@testable import TraceMalloc

private let key = Traceback(frames: [Frame(filename: "a.swift", lineno: 5)])

@Test func statisticDiffPrintsSignedDifferences() {
    #expect(StatisticDiff(traceback: key, size: 3000, sizeDiff: 3000, count: 1, countDiff: 1).description
        == "a.swift:5: size=3000 B (+3000 B), count=1 (+1), average=3000 B")
    #expect(StatisticDiff(traceback: key, size: 0, sizeDiff: -7, count: 0, countDiff: -1).description
        == "a.swift:5: size=0 B (-7 B), count=0 (-1)")
    #expect(StatisticDiff(traceback: key, size: 8, sizeDiff: 0, count: 2, countDiff: 0).description
        == "a.swift:5: size=8 B (+0 B), count=2 (+0), average=4 B")
}

@Test func statisticDiffReprIsPythons() {
    #expect(StatisticDiff(traceback: key, size: 0, sizeDiff: -7, count: 0, countDiff: -1).debugDescription
        == "<StatisticDiff traceback=<Traceback (<Frame filename='a.swift' lineno=5>,)> size=0 (-7) count=0 (-1)>")
}

@Test func diffsSortByMagnitudeOfChangeFirst() {
    let shrunk = StatisticDiff(traceback: key, size: 0, sizeDiff: -50, count: 0, countDiff: -1)
    let grew = StatisticDiff(traceback: key, size: 100, sizeDiff: 40, count: 1, countDiff: 1)
    #expect(shrunk.sortsBefore(grew))
    let sameChangeBigger = StatisticDiff(traceback: key, size: 10, sizeDiff: -50, count: 0, countDiff: 0)
    #expect(sameChangeBigger.sortsBefore(shrunk))
}
