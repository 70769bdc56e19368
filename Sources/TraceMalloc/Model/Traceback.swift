/// Sequence of frames sorted from the oldest frame to the most recent frame.
///
/// Index 0 is the outermost call and `last` is the line that allocated. Python's constructor
/// takes frames most recent first and reverses them; this one takes them oldest first.
///
///     let traceback = Traceback(frames: [
///         Frame(filename: "main.swift", lineno: 3),
///         Frame(filename: "Cache.swift", lineno: 40),
///     ], totalNframe: 2)
///     print(traceback)        // Prints "main.swift:3" (the oldest frame, as in Python)
///     print(traceback.last!)  // Prints "Cache.swift:40"
///
/// Python: `tracemalloc.Traceback`
public struct Traceback: Sendable {
    /// Frames, oldest first: index 0 is the outermost call, `last` the line that allocated.
    public var frames: [Frame]
    /// The real depth of the stack when it was captured, or nil when unknown. The traceback was
    /// truncated to the tracing limit when this is greater than `count`.
    public var totalNframe: Int?

    /// Creates a traceback from frames ordered **oldest first**.
    ///
    /// - Parameters:
    ///   - frames: The frames, outermost call first.
    ///   - totalNframe: The depth of the stack before truncation, or nil when unknown.
    ///
    /// Python: `Traceback(frames, total_nframe=None)` (which takes frames most recent first)
    public init(frames: [Frame], totalNframe: Int? = nil) {
        self.frames = frames
        self.totalNframe = totalNframe
    }
}

extension Traceback: RandomAccessCollection {
    /// The index of the oldest frame (0).
    public var startIndex: Int { frames.startIndex }

    /// One past the index of the most recent frame.
    public var endIndex: Int { frames.endIndex }

    /// The frame at `position`; 0 is the oldest.
    ///
    /// Python: `Traceback.__getitem__`
    public subscript(position: Int) -> Frame {
        frames[position]
    }
}

extension Traceback: Hashable {
    /// Whether both tracebacks hold equal frames in the same order; `totalNframe` is ignored,
    /// as in Python.
    ///
    /// Python: `Traceback.__eq__`
    public static func == (lhs: Traceback, rhs: Traceback) -> Bool {
        lhs.frames == rhs.frames
    }

    /// Hashes the frames only.
    ///
    /// Python: `Traceback.__hash__`
    public func hash(into hasher: inout Hasher) {
        hasher.combine(frames)
    }

    /// Whether the two tracebacks agree on everything: frames with their functions and images,
    /// and `totalNframe`.
    func isIdentical(to other: Traceback) -> Bool {
        totalNframe == other.totalNframe
            && frames.count == other.frames.count
            && zip(frames, other.frames).allSatisfy { $0.isIdentical(to: $1) }
    }
}

extension Traceback: Comparable {
    /// Orders lexicographically on the oldest-first frames; a prefix sorts first.
    ///
    /// Python: `Traceback.__lt__`
    public static func < (lhs: Traceback, rhs: Traceback) -> Bool {
        lhs.frames.lexicographicallyPrecedes(rhs.frames)
    }
}

extension Traceback: CustomStringConvertible, CustomDebugStringConvertible {
    /// The **oldest** frame, as Python's `str(traceback)` (which is `str(traceback[0])`).
    ///
    /// The tracer never makes an empty traceback, where Python would raise `IndexError`; one read
    /// from a file prints `<unknown>:0`, the pseudo-frame CPython uses for an unknown location.
    public var description: String {
        frames.first?.description ?? "<unknown>:0"
    }

    /// `<Traceback (<Frame …>, …) total_nframe=2>`, as Python's `repr(traceback)`.
    public var debugDescription: String {
        let items = frames.map(\.debugDescription)
        let tuple = "(" + items.joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        return "<Traceback \(tuple)" + (totalNframe.map { " total_nframe=\($0)>" } ?? ">")
    }
}
