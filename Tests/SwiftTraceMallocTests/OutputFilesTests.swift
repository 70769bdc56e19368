import Testing
@testable import swift_tracemalloc

@Test func outputFilesRecogniseEveryNameTheTracerAndRunWrite() {
    let files = OutputFiles(path: "out/app.tm")
    let members: [(String, [String], Bool)] = [
        ("app.tm", [], false), ("app.tm.raw", [], true),
        ("app.tm.3", ["3"], false), ("app.tm.3.raw", ["3"], true),
        ("app.tm.peak", ["peak"], false), ("app.tm.peak.raw", ["peak"], true),
        ("app.tm.4242", ["4242"], false), ("app.tm.4242.2.raw", ["4242", "2"], true),
        ("app.tm.4242.peak", ["4242", "peak"], false),
    ]
    for (name, suffix, isRaw) in members {
        #expect(files.member(named: name) == OutputFiles.Member(suffix: suffix, isRaw: isRaw), "\(name)")
    }
    for stranger in ["app.tmx", "app.t", "app.tm.", "app.tm.x", "app.tm.raw.tmp", "app.tm.3.raw.tmp.77", "app.tm.1.2.3", "app.tm..raw"] {
        #expect(files.member(named: stranger) == nil, "\(stranger)")
    }
    #expect(files.path(of: OutputFiles.Member(suffix: ["4242", "2"], isRaw: true)) == "out/app.tm.4242.2.raw")
    #expect(files.directory.hasSuffix("/out"))
}

@Test func outputFilesSortFinalThenNumbersNumericallyThenPeak() {
    let names = ["app.tm.peak", "app.tm.10", "app.tm.2", "app.tm", "app.tm.4242.peak", "app.tm.4242", "app.tm.4242.1"]
    let files = OutputFiles(path: "app.tm")
    let sorted = names.compactMap(files.member(named:)).sorted(by: OutputFiles.Member.nameOrder).map(files.path(of:))
    #expect(sorted == ["app.tm", "app.tm.2", "app.tm.10", "app.tm.4242", "app.tm.4242.1", "app.tm.4242.peak", "app.tm.peak"])
}

@Test func lastSnapshotIsTheProcesssHighestIntervalElseItsPeak() {
    func written(_ suffix: [String], pid: Int) -> Run.Written {
        Run.Written(member: OutputFiles.Member(suffix: suffix, isRaw: false), pid: pid)
    }
    let all = [written(["2"], pid: 7), written(["10"], pid: 7), written(["peak"], pid: 7), written(["99"], pid: 99)]
    #expect(Run.lastSnapshot(of: 7, in: all)?.suffix == ["10"])
    #expect(Run.lastSnapshot(of: 7, in: [written(["peak"], pid: 7), written(["99"], pid: 99)])?.suffix == ["peak"])
    #expect(Run.lastSnapshot(of: 8, in: all) == nil)
}
