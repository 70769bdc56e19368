import TraceMalloc

/// Reads the snapshot files named on the command line.
enum SnapshotFiles {
    /// The traces of every file in `paths`, as one snapshot: several files are read as the
    /// snapshots of one process (for example the main program and a library's own dump).
    ///
    /// - Parameter paths: Binary or JSON snapshot files; the format is recognised from the content.
    /// - Returns: All their traces, in file order, with the largest traceback limit.
    /// - Throws: `TraceMallocError.invalidFile` for the first file that cannot be read.
    static func load(_ paths: [String]) throws -> Snapshot {
        precondition(!paths.isEmpty, "at least one snapshot file is needed")
        let snapshots = try paths.map { try Snapshot.load(from: $0) }
        if snapshots.count == 1 { return snapshots[0] }
        return Snapshot(
            traces: snapshots.flatMap(\.traces),
            tracebackLimit: snapshots.map(\.tracebackLimit).max()!)
    }
}
