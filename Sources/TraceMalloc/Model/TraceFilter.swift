/// A filter on traces, for `Snapshot.filterTraces(_:)`.
///
/// A trace is kept when it passes at least one inclusive filter (or there are none) and every
/// exclusive filter. `Filter` and `DomainFilter` are the two Python has; conform your own type
/// to filter on anything else a trace holds.
///
/// Python: `tracemalloc.BaseFilter`
public protocol TraceFilter: Sendable {
    /// Whether the filter selects the traces to keep (true) or to drop (false).
    var inclusive: Bool { get }

    /// Whether `trace` passes: for an inclusive filter, whether it matches; for an exclusive
    /// one, whether it does not.
    ///
    /// - Parameter trace: A trace of the snapshot being filtered.
    /// - Returns: Whether the trace passes this filter.
    ///
    /// Python: `BaseFilter._match`
    func passes(_ trace: Trace) -> Bool
}
