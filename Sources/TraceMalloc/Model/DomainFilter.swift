/// Filters traces by their domain (address space).
///
///     let heapOnly = try snapshot.filterTraces([DomainFilter(inclusive: true, domain: 0)])
///
/// Python: `tracemalloc.DomainFilter`
public struct DomainFilter: TraceFilter, Hashable {
    /// Whether traces of `domain` are kept (true) or dropped (false).
    public var inclusive: Bool
    /// The domain to match.
    public let domain: UInt32

    /// Creates a domain filter.
    ///
    /// - Parameters:
    ///   - inclusive: Whether to keep (true) or drop (false) the traces of `domain`.
    ///   - domain: The domain to match; 0 is the process heap.
    ///
    /// Python: `DomainFilter(inclusive, domain)`
    public init(inclusive: Bool, domain: UInt32) {
        self.inclusive = inclusive
        self.domain = domain
    }

    /// Whether `trace` passes: it is in `domain` XOR the filter is exclusive.
    ///
    /// Python: `DomainFilter._match`
    public func passes(_ trace: Trace) -> Bool {
        passes(domain: trace.domain)
    }

    func passes(domain: UInt32) -> Bool {
        (domain == self.domain) == inclusive
    }
}
