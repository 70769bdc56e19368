@testable import TraceMalloc

/// A raw trace as Python's `tracemalloc.Snapshot` takes it: `(domain, size, frames, total_nframe)`,
/// with frames **most recent first**.
typealias RawTrace = (domain: UInt32, size: Int, frames: [(String, Int)], totalNframe: Int?)

/// The snapshot Python builds with `Snapshot(traces, traceback_limit)`.
func pythonSnapshot(_ traces: [RawTrace], limit: Int) -> Snapshot {
    Snapshot(
        traces: traces.map {
            Trace(domain: $0.domain, size: $0.size, traceback: pythonTraceback($0.frames, totalNframe: $0.totalNframe))
        },
        tracebackLimit: limit)
}

/// The traceback Python builds with `Traceback(frames, total_nframe)`: frames most recent first.
func pythonTraceback(_ frames: [(String, Int)], totalNframe: Int? = nil) -> Traceback {
    Traceback(frames: frames.reversed().map { Frame(filename: $0.0, lineno: $0.1) }, totalNframe: totalNframe)
}
