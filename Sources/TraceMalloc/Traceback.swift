/// Sequence of frames sorted from the oldest frame to the most recent frame.
///
/// Python: `tracemalloc.Traceback`
public struct Traceback: Sendable {
    /// Frames, oldest first: index 0 is the outermost call, `last` the line that allocated.
    public var frames: [Frame]
    /// The real depth of the stack when it was captured, or nil when unknown.
    public var totalNframe: Int?

    /// Creates a traceback from frames ordered **oldest first**.
    public init(frames: [Frame], totalNframe: Int? = nil) {
        self.frames = frames
        self.totalNframe = totalNframe
    }
}
