/// Errors thrown by TraceMalloc, in CPython's words where CPython has them.
public enum TraceMallocError: Error, Sendable {
    /// `start(nframe:)` with a limit outside 1...65535.
    case invalidFrameLimit
    /// `takeSnapshot()` while not tracing.
    case notTracing
}

extension TraceMallocError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidFrameLimit: "the number of frames must be in range [1; 65535]"
        case .notTracing: "the tracemalloc module must be tracing memory allocations to take a snapshot"
        }
    }
}
