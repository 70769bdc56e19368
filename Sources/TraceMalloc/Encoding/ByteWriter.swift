/// Appends the integers and strings of the binary snapshot format to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    /// Appends `value` as LEB128: seven bits per byte, low bits first, high bit set on all but the last.
    mutating func append(unsigned value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Appends `value` zigzag-encoded (0, -1, 1, -2… become 0, 1, 2, 3…), so small negatives stay short.
    mutating func append(signed value: Int) {
        let value = Int64(value)
        append(unsigned: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends `value` as fixed-width little-endian bytes.
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 byte count of `string`, then its bytes.
    mutating func append(string: String) {
        append(unsigned: UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }

    mutating func append(contentsOf other: [UInt8]) {
        bytes.append(contentsOf: other)
    }
}
