/// Errors thrown by TraceMalloc, in CPython's words where CPython has them.
///
/// Python raises `ValueError`, `RuntimeError` or `TypeError`; Swift has one error type.
public enum TraceMallocError: Error, Sendable, Equatable {
    /// `start(nframe:)` with a limit outside 1...65535.
    case invalidFrameLimit
    /// `takeSnapshot()` while not tracing.
    case notTracing
    /// `track(domain:address:size:)` or `untrack(domain:address:)` while not tracing
    /// (CPython's `PyTraceMalloc_Track` returns -2).
    case trackWhileNotTracing
    /// The tracer could not map memory for its tables (CPython's -1 from `PyTraceMalloc_Track`).
    case outOfMemory
    /// A key type name that is not `filename`, `lineno` or `traceback`.
    case unknownKeyType(String)
    /// `cumulative: true` with `.traceback`.
    case cumulativeWithTraceback
    /// Statistics whose sizes add up past `Int.max` (Python's integers have no bound; only
    /// hand-made or loaded sizes can get there).
    case sizeOverflow
    /// A snapshot file that cannot be read or written: what is wrong with which file.
    case invalidFile(path: String, reason: String)
}

extension TraceMallocError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidFrameLimit:
            "the number of frames must be in range [1; 65535]"
        case .notTracing:
            "the tracemalloc module must be tracing memory allocations to take a snapshot"
        case .trackWhileNotTracing:
            "the tracemalloc module must be tracing memory allocations to track a memory block"
        case .outOfMemory:
            "not enough memory to store the trace"
        case .unknownKeyType(let name):
            "unknown key_type: '\(name)'"
        case .cumulativeWithTraceback:
            "cumulative mode cannot by used with key type 'traceback'"
        case .sizeOverflow:
            "the sizes of the traces add up to more than \(Int.max) bytes"
        case .invalidFile(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
