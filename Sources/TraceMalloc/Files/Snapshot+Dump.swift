import struct Foundation.Data

extension Snapshot {
    /// Writes the snapshot to a file, atomically.
    ///
    /// The bytes go to a hidden temporary file in the same directory, which is flushed to disk and
    /// renamed over `path`: an interrupted dump leaves the old file or the complete new one, never
    /// half a file under the real name.
    ///
    ///     let snapshot = try TraceMalloc.takeSnapshot()
    ///     try snapshot.dump(to: "leaks.tmsnap")
    ///     try snapshot.dump(to: "leaks.json", format: .json)
    ///
    /// - Parameters:
    ///   - path: The file to create or replace.
    ///   - format: `.binary` (compact, the default) or `.json` (interchange with other tools).
    /// - Throws: `TraceMallocError.invalidFile` naming `path` when it cannot be written, or when a
    ///   trace has a negative size.
    ///
    /// Python: `Snapshot.dump(filename)`
    public func dump(to path: String, format: SnapshotFormat = .binary) throws {
        try FileIO.writeAtomically(SnapshotFile.encode(self, as: format, path: path), to: path)
    }

    /// Reads a snapshot written by `dump(to:format:)`, in either format: the format is recognised
    /// from the file's content.
    ///
    ///     let snapshot = try Snapshot.load(from: "leaks.tmsnap")
    ///
    /// - Parameter path: The file to read.
    /// - Returns: The snapshot, with its traces in the order they were dumped.
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and what is wrong when the file is
    ///   missing, empty, truncated, corrupt, of another kind, or of a newer format version.
    ///
    /// Python: `Snapshot.load(filename)`
    public static func load(from path: String) throws -> Snapshot {
        try FileIO.readAll(path: path).withUnsafeBytes { try SnapshotFile.decode($0, path: path) }
    }

    /// Encodes the snapshot as `dump(to:format:)` would write it to a file.
    ///
    ///     let json = try snapshot.data(format: .json)
    ///
    /// - Parameter format: `.binary` (the default) or `.json`.
    /// - Returns: The encoded bytes.
    /// - Throws: `TraceMallocError.invalidFile` when a trace has a negative size.
    ///
    /// Python: none (`pickle.dumps(snapshot)` comes closest).
    public func data(format: SnapshotFormat = .binary) throws -> Data {
        try Data(SnapshotFile.encode(self, as: format, path: "<data>"))
    }

    /// Decodes a snapshot from the bytes of a snapshot file in either format.
    ///
    ///     let copy = try Snapshot(data: snapshot.data())
    ///
    /// - Parameters:
    ///   - data: The bytes of a binary or JSON snapshot.
    ///   - source: What to call the bytes in error messages, such as a file name or URL.
    /// - Throws: `TraceMallocError.invalidFile` naming `source` and what is wrong.
    ///
    /// Python: none (`pickle.loads(data)` comes closest).
    public init(data: Data, source: String = "<data>") throws {
        self = try data.withUnsafeBytes { try SnapshotFile.decode($0, path: source) }
    }
}
