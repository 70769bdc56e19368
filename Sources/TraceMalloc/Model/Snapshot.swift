/// Snapshot of traces of memory blocks allocated.
///
///     try TraceMalloc.start(nframe: 25)
///     // … the program's work …
///     let snapshot = try TraceMalloc.takeSnapshot()
///     for statistic in try snapshot.statistics(.lineno).prefix(10) { print(statistic) }
///
/// Python: `tracemalloc.Snapshot`
public struct Snapshot: Sendable {
    /// One trace, with its traceback as an index into `tracebacks`. Storing each traceback once
    /// keeps a million-trace snapshot cheap to build, group, dump and load.
    package struct Record: Hashable, Sendable {
        /// The address space of the block: 0 is the malloc family's.
        package var domain: UInt32
        /// The size of the block in bytes.
        package var size: Int
        /// The index of the block's traceback in the snapshot's tracebacks.
        package var traceback: Int

        package init(domain: UInt32, size: Int, traceback: Int) {
            self.domain = domain
            self.size = size
            self.traceback = traceback
        }
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

    /// Creates a snapshot of the given traces, storing each distinct traceback once.
    ///
    /// - Parameters:
    ///   - traces: The traces, in the order `traces` will list them.
    ///   - tracebackLimit: The frame limit the traces were captured with.
    ///
    /// Python: `Snapshot(traces, traceback_limit)` (which takes raw trace tuples)
    public init(traces: [Trace], tracebackLimit: Int) {
        // Interned by every field, not by `==`: tracebacks that Python calls equal may still
        // differ in `totalNframe` or in their frames' functions and images, which `traces` keeps.
        var ids: [IdenticalTraceback: Int] = [:]
        var tracebacks: [Traceback] = []
        let records = traces.map { trace in
            let key = IdenticalTraceback(traceback: trace.traceback)
            let id = ids[key] ?? {
                tracebacks.append(trace.traceback)
                ids[key] = tracebacks.count - 1
                return tracebacks.count - 1
            }()
            return Record(domain: trace.domain, size: trace.size, traceback: id)
        }
        self.init(tracebacks: tracebacks, records: records, tracebackLimit: tracebackLimit)
    }

    /// Traces of all memory blocks allocated, in order.
    ///
    /// Python: `Snapshot.traces`
    public var traces: [Trace] {
        records.map { Trace(domain: $0.domain, size: $0.size, traceback: tracebacks[$0.traceback]) }
    }
}

/// A traceback that is equal only to an identical one (see `Traceback.isIdentical(to:)`).
private struct IdenticalTraceback: Hashable {
    var traceback: Traceback

    static func == (lhs: IdenticalTraceback, rhs: IdenticalTraceback) -> Bool {
        lhs.traceback.isIdentical(to: rhs.traceback)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(traceback)
        hasher.combine(traceback.totalNframe)
    }
}

extension Snapshot: Equatable {
    /// Whether the snapshots have the same `tracebackLimit` and equal traces in the same order
    /// (`Trace.==`: domain, size, frames and `totalNframe`; not the frames' functions or images,
    /// see `isIdentical(to:)`).
    public static func == (lhs: Snapshot, rhs: Snapshot) -> Bool {
        lhs.sameTraces(as: rhs) { $0 == $1 && $0.totalNframe == $1.totalNframe }
    }

    /// Whether the snapshots are equal and their frames also agree on functions and images:
    /// what a file round trip must preserve.
    func isIdentical(to other: Snapshot) -> Bool {
        sameTraces(as: other) { $0.isIdentical(to: $1) }
    }

    private func sameTraces(as other: Snapshot, _ sameTraceback: (Traceback, Traceback) -> Bool) -> Bool {
        tracebackLimit == other.tracebackLimit
            && records.count == other.records.count
            && zip(records, other.records).allSatisfy { lhs, rhs in
                lhs.domain == rhs.domain && lhs.size == rhs.size
                    && sameTraceback(tracebacks[lhs.traceback], other.tracebacks[rhs.traceback])
            }
    }
}
