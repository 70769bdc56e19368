/// Statistic on memory allocations: the total size and number of blocks allocated at one key.
///
///     for statistic in try snapshot.statistics(.lineno).prefix(3) {
///         print(statistic)  // e.g. "Cache.swift:40: size=5120 B, count=2, average=2560 B"
///     }
///
/// Python: `tracemalloc.Statistic`
public struct Statistic: Hashable, Sendable {
    /// The key: one frame for `.lineno` and `.filename` (line 0), the whole traceback for `.traceback`.
    public var traceback: Traceback
    /// The total size of the blocks, in bytes.
    public var size: Int
    /// The number of blocks.
    public var count: Int

    /// Creates a statistic.
    ///
    /// - Parameters:
    ///   - traceback: The key the statistic is about.
    ///   - size: The total size of the blocks, in bytes.
    ///   - count: The number of blocks.
    ///
    /// Python: `Statistic(traceback, size, count)`
    public init(traceback: Traceback, size: Int, count: Int) {
        self.traceback = traceback
        self.size = size
        self.count = count
    }
}

extension Statistic: CustomStringConvertible, CustomDebugStringConvertible {
    /// `<traceback>: size=<size>, count=<count>[, average=<size/count>]`, as Python's
    /// `str(statistic)`; the average is left out when the count is 0.
    public var description: String {
        var text = "\(traceback): size=\(formatSize(size, signed: false)), count=\(count)"
        if count != 0 {
            text += ", average=\(formatSize(trueDivide(size, count), signed: false))"
        }
        return text
    }

    /// `<Statistic traceback=<Traceback …> size=5120 count=2>`, as Python's `repr(statistic)`.
    public var debugDescription: String {
        "<Statistic traceback=\(traceback.debugDescription) size=\(size) count=\(count)>"
    }
}

extension Statistic {
    /// Whether `self` sorts before `other` in `statistics(_:cumulative:)`, which lists the
    /// largest first: by size, then count, then traceback.
    ///
    /// Python: `Statistic._sort_key` with `reverse=True`
    func sortsBefore(_ other: Statistic) -> Bool {
        if size != other.size { return size > other.size }
        if count != other.count { return count > other.count }
        return other.traceback < traceback
    }
}
