import Testing
@testable import swift_tracemalloc
import TraceMalloc

@Test func filePatternTakesOnlyATrailingRunOfDigitsAsTheLine() {
    let cases: [(String, String, Int?)] = [
        ("*/main.swift:12", "*/main.swift", 12), ("*", "*", nil), ("a:b", "a:b", nil), ("x:+5", "x:+5", nil),
        ("x:-5", "x:-5", nil), ("::3", ":", 3), ("c:0", "c", 0), ("x:", "x:", nil), ("x:١٢", "x:١٢", nil),
    ]
    for (argument, pattern, lineno) in cases {
        let parsed = FilePattern(argument: argument)
        #expect(parsed?.pattern == pattern && parsed?.lineno == lineno, "\(argument)")
    }
}

@Test func filterOptionsBuildPythonsFiltersInOrder() throws {
    let options = try FilterOptions.parse([
        "--include", "*/App/*", "--exclude", "*/Tests/*:3", "--all-frames", "--include-domain", "5", "--exclude-domain", "0",
    ])
    let filters = options.filters
    #expect(filters.count == 4)
    let include = try #require(filters[0] as? Filter)
    #expect(include.inclusive && include.filenamePattern == "*/App/*" && include.lineno == nil && include.allFrames && include.domain == nil)
    let exclude = try #require(filters[1] as? Filter)
    #expect(!exclude.inclusive && exclude.filenamePattern == "*/Tests/*" && exclude.lineno == 3 && exclude.allFrames)
    let domains = filters[2...].compactMap { $0 as? DomainFilter }
    #expect(domains.map(\.inclusive) == [true, false] && domains.map(\.domain) == [5, 0])
    #expect(try FilterOptions.parse([]).filters.isEmpty)
}
