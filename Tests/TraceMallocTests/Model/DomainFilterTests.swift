import Testing
@testable import TraceMalloc

@Test func domainFilterKeepsOrDropsItsDomain() {
    let traceback = Traceback(frames: [Frame(filename: "a", lineno: 1)])
    let heap = Trace(domain: 0, size: 1, traceback: traceback)
    let gpu = Trace(domain: 7, size: 1, traceback: traceback)
    #expect(DomainFilter(inclusive: true, domain: 7).passes(gpu))
    #expect(!DomainFilter(inclusive: true, domain: 7).passes(heap))
    #expect(!DomainFilter(inclusive: false, domain: 7).passes(gpu))
    #expect(DomainFilter(inclusive: false, domain: 7).passes(heap))
}
