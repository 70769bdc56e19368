/// Snapshot files: which format a file holds. `FileIO` reads and writes them.
enum SnapshotFile {
    /// Encodes `snapshot`; `path` is only named in errors.
    static func encode(_ snapshot: Snapshot, as format: SnapshotFormat, path: String) throws -> [UInt8] {
        switch format {
        case .binary: try encodeBinary(snapshot, path: path)
        case .json: try encodeJSON(snapshot, path: path)
        }
    }

    /// Decodes a snapshot in either format, recognised from its first bytes: the binary magic, or
    /// `{` after optional whitespace (and byte order mark) for JSON.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and what is wrong.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Snapshot {
        guard !bytes.isEmpty else { throw TraceMallocError.invalidFile(path: path, reason: "empty file") }
        if bytes.starts(with: magic.prefix(bytes.count)) {
            return try decodeBinary(bytes, path: path)
        }
        let first = bytes.dropFirst(JSONReader.byteOrderMarkLength(bytes)).first { !JSONReader.isWhitespace($0) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return try decodeJSON(bytes, path: path)
        }
        let reason = first == nil ? "empty file (only white space)"
            : "not a swift-tracemalloc snapshot (bad magic)"
        throw TraceMallocError.invalidFile(path: path, reason: reason)
    }
}
