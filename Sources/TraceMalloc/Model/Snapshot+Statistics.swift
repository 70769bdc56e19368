extension Snapshot {
    /// Groups the traces by `keyType` and sums their sizes and counts, largest first.
    ///
    /// A trace counts at the key of its most recent frame (`.lineno`; `.filename`, whose key
    /// prints as `file:0`) or of its whole traceback (`.traceback`). With `cumulative`, **every**
    /// frame of a trace counts it, with no de-duplication: a recursive function or several
    /// frames in one file count the trace more than once, as in Python.
    ///
    /// The result is sorted by size, then count, then traceback, all descending; keys are
    /// unique, so the order is total. Key tracebacks have a nil `totalNframe`.
    ///
    ///     for statistic in try snapshot.statistics(.lineno).prefix(10) { print(statistic) }
    ///
    /// - Parameters:
    ///   - keyType: What to group by.
    ///   - cumulative: Whether every frame of a trace counts it, not only the most recent one.
    /// - Returns: One statistic per key.
    /// - Throws: `TraceMallocError.cumulativeWithTraceback` for `.traceback` with `cumulative`;
    ///   `TraceMallocError.sizeOverflow` when a sum of sizes passes `Int.max`.
    /// - Complexity: O(*n* + *t* × *f*) for *n* traces over *t* distinct tracebacks of up to *f*
    ///   frames, plus sorting the keys.
    ///
    /// Python: `Snapshot.statistics`
    public func statistics(_ keyType: KeyType, cumulative: Bool = false) throws -> [Statistic] {
        try groupBy(keyType, cumulative: cumulative).sorted { $0.sortsBefore($1) }
    }

    /// Compares this snapshot with an older one, key by key, largest change first.
    ///
    /// A key in both snapshots gets the new values and their differences (kept even when
    /// nothing changed); a key only in this one has differences equal to its values; a key
    /// only in `old` has size and count 0 and negative differences. The result is sorted by
    /// |size difference|, size, |count difference|, count, then traceback, all descending.
    ///
    ///     for diff in try new.compare(to: old, .lineno).prefix(10) { print(diff) }
    ///
    /// - Parameters:
    ///   - old: The earlier snapshot.
    ///   - keyType: What to group by, as in `statistics(_:cumulative:)`.
    ///   - cumulative: Whether every frame of a trace counts it, as in `statistics(_:cumulative:)`.
    /// - Returns: One difference per key of either snapshot.
    /// - Throws: `TraceMallocError.cumulativeWithTraceback` for `.traceback` with `cumulative`;
    ///   `TraceMallocError.sizeOverflow` when a sum or difference of sizes passes `Int`'s range.
    ///
    /// Python: `Snapshot.compare_to`
    public func compare(to old: Snapshot, _ keyType: KeyType, cumulative: Bool = false) throws -> [StatisticDiff] {
        let newStatistics = try groupBy(keyType, cumulative: cumulative)
        var oldStatistics = Dictionary(
            uniqueKeysWithValues: try old.groupBy(keyType, cumulative: cumulative).map { ($0.traceback, $0) })
        var diffs = try newStatistics.map { statistic in
            let previous = oldStatistics.removeValue(forKey: statistic.traceback)
            return StatisticDiff(
                traceback: statistic.traceback,
                size: statistic.size, sizeDiff: try sum(statistic.size, -(previous?.size ?? 0)),
                count: statistic.count, countDiff: statistic.count - (previous?.count ?? 0))
        }
        diffs += oldStatistics.values.map {
            StatisticDiff(traceback: $0.traceback, size: 0, sizeDiff: -$0.size, count: 0, countDiff: -$0.count)
        }
        return diffs.sorted { $0.sortsBefore($1) }
    }

    /// One unsorted statistic per key.
    ///
    /// Records are summed per stored traceback first, in one pass with no hashing; only then is
    /// each distinct traceback mapped to its key (or, cumulative, each of its frames).
    ///
    /// Python: `Snapshot._group_by`
    private func groupBy(_ keyType: KeyType, cumulative: Bool) throws -> [Statistic] {
        if cumulative && keyType == .traceback {
            throw TraceMallocError.cumulativeWithTraceback
        }
        var sizes = [Int](repeating: 0, count: tracebacks.count)
        var counts = [Int](repeating: 0, count: tracebacks.count)
        for record in records {
            sizes[record.traceback] = try sum(sizes[record.traceback], record.size)
            counts[record.traceback] += 1
        }
        let used = tracebacks.indices.filter { counts[$0] > 0 }

        if keyType == .traceback {
            var grouping = Grouping<Traceback>()
            for index in used {
                try grouping.add(tracebacks[index], size: sizes[index], count: counts[index]) {
                    Traceback(frames: tracebacks[index].frames)
                }
            }
            return grouping.statistics
        }
        // Keyed by frame, not by a one-frame traceback, to avoid an array per lookup. nil is
        // the key of an empty traceback (only files make them).
        let keyFrame = { (frame: Frame) in
            keyType == .lineno ? frame : Frame(filename: frame.filename, lineno: 0)
        }
        var grouping = Grouping<Frame?>()
        for index in used {
            let frames = cumulative ? tracebacks[index].frames[...] : tracebacks[index].frames.suffix(1)
            if frames.isEmpty && !cumulative {
                try grouping.add(nil, size: sizes[index], count: counts[index]) { Traceback(frames: []) }
            }
            for frame in frames {
                let key = keyFrame(frame)
                try grouping.add(key, size: sizes[index], count: counts[index]) { Traceback(frames: [key]) }
            }
        }
        return grouping.statistics
    }
}

/// `a + b`, or an error where Python's unbounded integers would go past `Int`: only sizes
/// chosen by hand (or read from a file) come near it, and they must not crash the caller.
private func sum(_ a: Int, _ b: Int) throws -> Int {
    let (result, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw TraceMallocError.sizeOverflow }
    return result
}

/// Statistics under construction, one per distinct key, in first-seen order.
private struct Grouping<Key: Hashable> {
    private var ids: [Key: Int] = [:]
    private(set) var statistics: [Statistic] = []

    /// Adds `size` and `count` to the statistic of `key`, creating it with the traceback
    /// `makeTraceback` returns the first time the key is seen.
    mutating func add(_ key: Key, size: Int, count: Int, makeTraceback: () -> Traceback) throws {
        if let id = ids[key] {
            statistics[id].size = try sum(statistics[id].size, size)
            statistics[id].count += count
        } else {
            ids[key] = statistics.count
            statistics.append(Statistic(traceback: makeTraceback(), size: size, count: count))
        }
    }
}
