/// Reads the integers and strings of the binary snapshot format from memory, never past its end.
struct ByteReader {
    /// Why a read failed; the caller knows what it was reading and words the message.
    enum Failure: Error {
        /// The data ends `missing` bytes too early.
        case truncated(missing: UInt64)
        /// A LEB128 integer longer than 64 bits.
        case oversizedInteger
        /// String bytes that are not UTF-8.
        case invalidUTF8
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func readByte() throws(Failure) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(missing: 1) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a LEB128 integer (see `ByteWriter.append(unsigned:)`).
    mutating func readUnsigned() throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            // The tenth byte holds bit 63 alone; anything more would not fit.
            guard shift < 63 || byte <= 1 else { throw .oversizedInteger }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// Reads a zigzag integer (see `ByteWriter.append(signed:)`).
    mutating func readSigned() throws(Failure) -> Int {
        let raw = try readUnsigned()
        return Int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
    }

    /// Reads a byte count and that many bytes of UTF-8.
    mutating func readString() throws(Failure) -> String {
        let length = try readUnsigned()
        guard length <= UInt64(remaining) else { throw .truncated(missing: length - UInt64(remaining)) }
        let start = offset
        offset += Int(length)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<offset]).assumingMemoryBound(to: UInt8.self)
        guard let string = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8 }
        return string
    }
}
