/// How `Snapshot.statistics(_:cumulative:)` and `Snapshot.compare(to:_:cumulative:)` group traces.
///
/// Python: the `key_type` strings `'filename'`, `'lineno'` and `'traceback'`
public enum KeyType: String, Sendable, CaseIterable {
    /// By the file of the most recent frame; the key prints as `file:0`.
    case filename
    /// By the file and line of the most recent frame.
    case lineno
    /// By the whole traceback.
    case traceback

    /// The key type Python spells `name`.
    ///
    /// - Parameter name: `filename`, `lineno` or `traceback`.
    /// - Throws: `TraceMallocError.unknownKeyType` for any other name, with Python's message
    ///   (`unknown key_type: 'foo'`).
    public init(parsing name: String) throws {
        guard let keyType = KeyType(rawValue: name) else {
            throw TraceMallocError.unknownKeyType(name)
        }
        self = keyType
    }
}
