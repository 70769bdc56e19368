/// Trace of a memory block.
///
/// Python: `tracemalloc.Trace`
public struct Trace: Sendable {
    /// The address space of the block: 0 is the process heap (the malloc family).
    public var domain: UInt32
    /// The size of the block in bytes.
    public var size: Int
    /// Where the block was allocated.
    public var traceback: Traceback

    public init(domain: UInt32, size: Int, traceback: Traceback) {
        self.domain = domain
        self.size = size
        self.traceback = traceback
    }
}
