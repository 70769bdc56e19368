/// Statistic difference on memory allocations between an old and a new snapshot, at one key.
///
///     for diff in try new.compare(to: old, .lineno).prefix(3) {
///         print(diff)  // e.g. "Cache.swift:40: size=5120 B (+5120 B), count=2 (+2), average=2560 B"
///     }
///
/// Python: `tracemalloc.StatisticDiff`
public struct StatisticDiff: Hashable, Sendable {
    /// The key: one frame for `.lineno` and `.filename` (line 0), the whole traceback for `.traceback`.
    public var traceback: Traceback
    /// The total size of the blocks in the new snapshot, in bytes.
    public var size: Int
    /// The new size minus the old size, in bytes.
    public var sizeDiff: Int
    /// The number of blocks in the new snapshot.
    public var count: Int
    /// The new count minus the old count.
    public var countDiff: Int

    /// Creates a statistic difference.
    ///
    /// - Parameters:
    ///   - traceback: The key the difference is about.
    ///   - size: The total size in the new snapshot, in bytes.
    ///   - sizeDiff: The new size minus the old size.
    ///   - count: The number of blocks in the new snapshot.
    ///   - countDiff: The new count minus the old count.
    ///
    /// Python: `StatisticDiff(traceback, size, size_diff, count, count_diff)`
    public init(traceback: Traceback, size: Int, sizeDiff: Int, count: Int, countDiff: Int) {
        self.traceback = traceback
        self.size = size
        self.sizeDiff = sizeDiff
        self.count = count
        self.countDiff = countDiff
    }
}

extension StatisticDiff: CustomStringConvertible, CustomDebugStringConvertible {
    /// `<traceback>: size=<size> (<±diff>), count=<count> (<±diff>)[, average=<size/count>]`,
    /// as Python's `str(diff)`; the average is left out when the new count is 0.
    public var description: String {
        var text = "\(traceback): size=\(formatSize(size, signed: false))"
            + " (\(formatSize(sizeDiff, signed: true))), count=\(count) (\(signed(countDiff)))"
        if count != 0 {
            text += ", average=\(formatSize(trueDivide(size, count), signed: false))"
        }
        return text
    }

    /// `<StatisticDiff traceback=<Traceback …> size=5120 (+5120) count=2 (+2)>`, as Python's
    /// `repr(diff)`.
    public var debugDescription: String {
        "<StatisticDiff traceback=\(traceback.debugDescription) size=\(size) (\(signed(sizeDiff)))"
            + " count=\(count) (\(signed(countDiff)))>"
    }

    /// Python's `%+i`.
    private func signed(_ value: Int) -> String {
        (value >= 0 ? "+" : "") + "\(value)"
    }
}

extension StatisticDiff {
    /// Whether `self` sorts before `other` in `compare(to:_:cumulative:)`, which lists the
    /// largest change first: by |size diff|, size, |count diff|, count, then traceback.
    ///
    /// Python: `StatisticDiff._sort_key` with `reverse=True`
    func sortsBefore(_ other: StatisticDiff) -> Bool {
        if sizeDiff.magnitude != other.sizeDiff.magnitude { return sizeDiff.magnitude > other.sizeDiff.magnitude }
        if size != other.size { return size > other.size }
        if countDiff.magnitude != other.countDiff.magnitude { return countDiff.magnitude > other.countDiff.magnitude }
        if count != other.count { return count > other.count }
        return other.traceback < traceback
    }
}
