/// How a snapshot file is encoded.
///
/// `Snapshot.load(from:)` recognises either encoding from the first bytes of the file, so a reader
/// never has to be told which one it gets.
///
/// Python: none (`Snapshot.dump` pickles).
public enum SnapshotFormat: String, Sendable, CaseIterable {
    /// The project's compact, versioned binary format: each string, frame and traceback is
    /// stored once, and a checksum guards the data. The default.
    case binary
    /// JSON interchange for other tools, one trace per line with its frames spelled out:
    /// `{"format": "swift-tracemalloc-snapshot", "version": 1, "traceback_limit": 25, "traces": […]}`.
    case json
}
