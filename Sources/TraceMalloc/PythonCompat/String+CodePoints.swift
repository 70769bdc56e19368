#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Python compares and hashes strings by code point, with no normalisation: NFC "é" and NFD "é"
// are different file names there. Swift's `String` ==, < and hash use canonical equivalence, so the
// model goes through these instead. UTF-8 byte order is code point order, so bytes are enough.
extension String {
    /// Whether both strings hold the same code points (Python's `==` on `str`).
    func hasSameCodePoints(as other: String) -> Bool {
        let count = utf8.count
        guard count == other.utf8.count else { return false }
        return compareUTF8(other) { lhs, rhs in
            count == 0 || memcmp(lhs.baseAddress!, rhs.baseAddress!, count) == 0
        }
    }

    /// Whether this string sorts before `other` by code point (Python's `<` on `str`).
    func precedesByCodePoint(_ other: String) -> Bool {
        compareUTF8(other) { lhs, rhs in
            let common = min(lhs.count, rhs.count)
            let order = common == 0 ? 0 : memcmp(lhs.baseAddress!, rhs.baseAddress!, common)
            return order != 0 ? order < 0 : lhs.count < rhs.count
        }
    }

    /// Feeds the code points to `hasher`, consistently with `hasSameCodePoints(as:)`.
    func hashCodePoints(into hasher: inout Hasher) {
        hasher.combine(utf8.count)
        if utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
    }

    private func compareUTF8(
        _ other: String,
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        var lhs = self
        var rhs = other
        return lhs.withUTF8 { lhsBytes in rhs.withUTF8 { rhsBytes in body(lhsBytes, rhsBytes) } }
    }
}

/// A string that compares and hashes by code point, for dictionary keys (see above).
struct CodePointString: Hashable, Sendable {
    var value: String

    static func == (lhs: CodePointString, rhs: CodePointString) -> Bool {
        lhs.value.hasSameCodePoints(as: rhs.value)
    }

    func hash(into hasher: inout Hasher) {
        value.hashCodePoints(into: &hasher)
    }
}
