/// Snapshot of traces of memory blocks allocated.
///
/// Python: `tracemalloc.Snapshot`
public struct Snapshot: Sendable {
    /// One trace, with its traceback as an index into `tracebacks`. Storing each traceback once
    /// keeps a million-trace snapshot cheap to build, group, dump and load.
    struct Record: Hashable, Sendable {
        var domain: UInt32
        var size: Int
        var traceback: Int
    }

    /// The maximum number of frames stored in a traceback of `traces`.
    public var tracebackLimit: Int
    /// Tracebacks referenced by `records` (one entry per traceback the producer interned).
    var tracebacks: [Traceback]
    /// The traces, in order.
    var records: [Record]

    init(tracebacks: [Traceback], records: [Record], tracebackLimit: Int) {
        self.tracebacks = tracebacks
        self.records = records
        self.tracebackLimit = tracebackLimit
    }

    /// Traces of all memory blocks allocated, in order.
    public var traces: [Trace] {
        records.map { Trace(domain: $0.domain, size: $0.size, traceback: tracebacks[$0.traceback]) }
    }
}
