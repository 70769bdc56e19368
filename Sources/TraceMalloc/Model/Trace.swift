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

    /// Creates a trace.
    ///
    /// - Parameters:
    ///   - domain: The address space of the block; 0 is the process heap.
    ///   - size: The size of the block in bytes.
    ///   - traceback: Where the block was allocated, with its `totalNframe`.
    ///
    /// Python: `Trace((domain, size, frames, total_nframe))`
    public init(domain: UInt32, size: Int, traceback: Traceback) {
        self.domain = domain
        self.size = size
        self.traceback = traceback
    }
}

extension Trace: Hashable {
    /// Whether the traces agree on domain, size, frames and `totalNframe` (Python compares the
    /// whole raw tuple, `total_nframe` included, unlike `Traceback.__eq__`).
    ///
    /// Python: `Trace.__eq__`
    public static func == (lhs: Trace, rhs: Trace) -> Bool {
        lhs.domain == rhs.domain && lhs.size == rhs.size
            && lhs.traceback == rhs.traceback && lhs.traceback.totalNframe == rhs.traceback.totalNframe
    }

    /// Hashes what `==` compares.
    ///
    /// Python: `Trace.__hash__`
    public func hash(into hasher: inout Hasher) {
        hasher.combine(domain)
        hasher.combine(size)
        hasher.combine(traceback)
        hasher.combine(traceback.totalNframe)
    }
}

extension Trace: CustomStringConvertible, CustomDebugStringConvertible {
    /// `<traceback>: <size>`, for example `main.swift:3: 64 B`, as Python's `str(trace)`.
    public var description: String {
        "\(traceback): \(formatSize(size, signed: false))"
    }

    /// `<Trace domain=0 size=64 B, traceback=<Traceback …>>`, as Python's `repr(trace)`.
    public var debugDescription: String {
        "<Trace domain=\(domain) size=\(formatSize(size, signed: false)), traceback=\(traceback.debugDescription)>"
    }
}
