extension Snapshot {
    /// A new snapshot with only the traces that pass `filters`, in their order, with the same
    /// `tracebackLimit`.
    ///
    /// A trace is kept when (there is no inclusive filter, or it passes **any** inclusive
    /// filter) and it passes **every** exclusive filter. An empty list keeps every trace.
    ///
    ///     let appOnly = snapshot.filterTraces([
    ///         Filter(inclusive: true, filenamePattern: "*/Sources/App/*"),
    ///         DomainFilter(inclusive: false, domain: 7),
    ///     ])
    ///
    /// - Parameter filters: `Filter`, `DomainFilter` or your own `TraceFilter` values.
    /// - Returns: The filtered snapshot.
    /// - Complexity: `Filter`s test each distinct traceback once, not each trace.
    ///
    /// Python: `Snapshot.filter_traces`
    public func filterTraces(_ filters: [any TraceFilter]) -> Snapshot {
        let inclusive = filters.filter(\.inclusive).map(recordTest)
        let exclusive = filters.filter { !$0.inclusive }.map(recordTest)
        var kept = records.filter { record in
            (inclusive.isEmpty || inclusive.contains { $0(record) }) && exclusive.allSatisfy { $0(record) }
        }
        // Keep only the tracebacks still in use, so later work and files skip the others.
        var newIndex = [Int](repeating: -1, count: tracebacks.count)
        var keptTracebacks: [Traceback] = []
        for position in kept.indices {
            let old = kept[position].traceback
            if newIndex[old] < 0 {
                newIndex[old] = keptTracebacks.count
                keptTracebacks.append(tracebacks[old])
            }
            kept[position].traceback = newIndex[old]
        }
        return Snapshot(tracebacks: keptTracebacks, records: kept, tracebackLimit: tracebackLimit)
    }

    /// Whether a record passes `filter`, with the work that depends only on the traceback done
    /// once per stored traceback.
    private func recordTest(_ filter: any TraceFilter) -> (Record) -> Bool {
        switch filter {
        case let filter as Filter:
            let framesPass = tracebacks.map(filter.framesPass)
            return { filter.passes(domain: $0.domain, framesPass: framesPass[$0.traceback]) }
        case let filter as DomainFilter:
            return { filter.passes(domain: $0.domain) }
        default:
            return { filter.passes(Trace(domain: $0.domain, size: $0.size, traceback: tracebacks[$0.traceback])) }
        }
    }
}
