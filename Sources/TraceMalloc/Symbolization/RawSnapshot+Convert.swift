/// Turns raw snapshots into snapshots, symbolising their addresses with the images each file
/// recorded.
///
/// The files of one process (its final snapshot, intervals, peak) usually list the same images:
/// they share one `Symbolizer`, so each address is resolved once per run rather than once per
/// file.
package struct RawSnapshotConverter {
    private let keepingRuntimeFrames: Bool
    private var symbolizers: [[Image]: Symbolizer] = [:]

    /// Creates a converter.
    ///
    /// - Parameter keepingRuntimeFrames: Whether to keep the frames of libc, the Swift runtime
    ///   and the tracer at the top of each stack, which are dropped by default.
    package init(keepingRuntimeFrames: Bool = false) {
        self.keepingRuntimeFrames = keepingRuntimeFrames
    }

    /// Why some frames are `<unknown>`: one line per image file that is missing or was
    /// rebuilt since the traced process loaded it.
    package var warnings: [String] {
        var seen = Set<String>()
        return symbolizers.values.flatMap(\.warnings).sorted().filter { seen.insert($0).inserted }
    }

    /// The snapshot `raw` describes, with frames in place of addresses.
    ///
    /// - Parameter raw: A file the preloaded tracer wrote.
    /// - Returns: The same traces, in the same order, with the same traceback limit.
    package mutating func snapshot(of raw: RawSnapshot) -> Snapshot {
        let symbolizer = symbolizer(for: raw.images)
        let tracebacks = raw.tracebacks.map { traceback in
            symbolizer.traceback(
                returnAddresses: traceback.returnAddresses,
                totalDepth: traceback.totalDepth,
                limit: raw.tracebackLimit,
                keepingRuntimeFrames: keepingRuntimeFrames)
        }
        return Snapshot(tracebacks: tracebacks, records: raw.records, tracebackLimit: raw.tracebackLimit)
    }

    private mutating func symbolizer(for images: [Image]) -> Symbolizer {
        if let known = symbolizers[images] { return known }
        let symbolizer = Symbolizer(images: images)
        symbolizers[images] = symbolizer
        return symbolizer
    }
}
