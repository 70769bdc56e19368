/// A pull parser over JSON text (RFC 8259) for documents of a known shape: the caller asks for the
/// value it expects next, so nothing is built that the document's reader does not keep.
///
/// Failures carry the byte offset and the path of keys and indexes down to the bad value.
struct JSONReader {
    struct Failure: Error {
        /// Byte offset of the problem in the text.
        var offset: Int
        var reason: String
        /// Keys and indexes from the root to the bad value, like `traces[17].size`; filled in by
        /// `readObject` and `readArray` as the failure leaves them.
        var path = ""
    }

    /// Nesting deeper than this is refused rather than followed down the stack.
    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    /// Starts after a leading UTF-8 byte order mark, which some tools write.
    init(_ bytes: UnsafeRawBufferPointer, offset: Int? = nil) {
        self.bytes = bytes
        self.offset = offset ?? Self.byteOrderMarkLength(bytes)
    }

    static func byteOrderMarkLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Whether the reader stands at the end of the text.
    var isAtEnd: Bool { offset == bytes.count }

    /// (line, column) of a byte offset, both from 1, for messages.
    func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let before = UnsafeRawBufferPointer(rebasing: bytes[..<min(offset, bytes.count)])
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        return (line, offset - lineStart + 1)
    }

    func failure(_ reason: String, at offset: Int? = nil) -> Failure {
        let offset = offset ?? self.offset
        return Failure(offset: offset, reason: offset >= bytes.count ? "unexpected end of data" : reason)
    }

    mutating func skipWhitespace() {
        while offset < bytes.count && Self.isWhitespace(bytes[offset]) {
            offset += 1
        }
    }

    /// Fails unless only white space is left.
    mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        guard isAtEnd else { throw failure("unexpected data after the end of the document") }
    }

    /// Reads an object, calling `member` with each key; `member` must read or skip the value.
    mutating func readObject(_ member: (inout JSONReader, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "expected an object")
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
            let key = try readString()
            try expect(UInt8(ascii: ":"), "expected ':' after a key")
            do {
                try member(&self, key)
            } catch {
                throw error.prefixingPath(".\(key)")
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an array, calling `element` with each index; `element` must read or skip the value.
    mutating func readArray(_ element: (inout JSONReader, Int) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["), "expected an array")
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return
        }
        var index = 0
        while true {
            do {
                try element(&self, index)
            } catch {
                throw error.prefixingPath("[\(index)]")
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1; index += 1
            case UInt8(ascii: "]"): offset += 1; return
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }

    /// Reads a string, decoding escapes; a lone UTF-16 surrogate (Python writes them for file
    /// names that are not UTF-8) becomes U+FFFD.
    mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""), "expected a string")
        let start = offset
        // Most strings have no escapes: validate them in place.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return try makeString(UnsafeRawBufferPointer(rebasing: bytes[start..<offset - 1]), at: start)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            offset += 1
        }
        var utf8 = Array(bytes[start..<offset])
        while true {
            guard offset < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw failure("string is not valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                try readEscape(into: &utf8)
            case ..<0x20:
                throw failure("control character in a string", at: offset - 1)
            default:
                utf8.append(byte)
            }
        }
    }

    /// Reads an integer; fractions, exponents and values beyond `Int` are refused.
    mutating func readInteger() throws(Failure) -> Int {
        skipWhitespace()
        let start = offset
        let negative = peek() == UInt8(ascii: "-")
        if negative { offset += 1 }
        guard let first = peek(), first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") else {
            throw failure("expected an integer")
        }
        var value = 0
        var overflow = false
        while let byte = peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            let digit = Int(byte - UInt8(ascii: "0"))
            // Accumulate negatively so that Int.min fits.
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.subtractingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            value = next
            offset += 1
        }
        if first == UInt8(ascii: "0") && offset - start > (negative ? 2 : 1) {
            throw failure("leading zero in a number", at: start)
        }
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw failure("expected an integer, found a fraction or exponent", at: start)
        }
        if !negative {
            overflow = overflow || value == .min
            value = -value
        }
        guard !overflow else { throw failure("integer out of range", at: start) }
        return value
    }

    /// Reads an integer, failing at its first byte with `reason(value)` unless `isValid(value)`.
    mutating func readInteger(where isValid: (Int) -> Bool, otherwise reason: (Int) -> String) throws(Failure) -> Int {
        skipWhitespace()
        let start = offset
        let value = try readInteger()
        guard isValid(value) else { throw failure(reason(value), at: start) }
        return value
    }

    /// Reads `null` if it comes next, returning whether it did.
    mutating func readNull() -> Bool {
        skipWhitespace()
        guard bytes[offset...].starts(with: "null".utf8) else { return false }
        offset += 4
        return true
    }

    /// Reads past one value of any kind.
    mutating func skipValue(depth: Int = 0) throws(Failure) {
        skipWhitespace()
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject { (reader, _) throws(Failure) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try readArray { (reader, _) throws(Failure) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for literal in ["true", "false", "null"] where bytes[offset...].starts(with: literal.utf8) {
                offset += literal.utf8.count
                return
            }
            throw failure("expected a value")
        default:
            try skipNumber()
        }
    }

    private func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private mutating func expect(_ byte: UInt8, _ reason: String) throws(Failure) {
        skipWhitespace()
        guard peek() == byte else { throw failure(reason) }
        offset += 1
    }

    private func makeString(_ utf8: UnsafeRawBufferPointer, at start: Int) throws(Failure) -> String {
        guard let string = String(validating: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw failure("string is not valid UTF-8", at: start)
        }
        return string
    }

    private mutating func readEscape(into utf8: inout [UInt8]) throws(Failure) {
        guard let byte = peek() else { throw failure("unterminated string") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800..<0xDC00).contains(scalar) && bytes[offset...].starts(with: "\\u".utf8) {
                let resume = offset
                offset += 2
                let low = UInt32(try readHex4())
                if (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    offset = resume
                }
            }
            utf8.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
        default:
            throw failure("invalid escape in a string", at: offset - 2)
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            let digit: UInt8
            switch peek() {
            case let byte? where (0x30...0x39).contains(byte): digit = byte - 0x30
            case let byte? where (0x41...0x46).contains(byte): digit = byte - 0x37
            case let byte? where (0x61...0x66).contains(byte): digit = byte - 0x57
            default: throw failure("invalid \\u escape in a string")
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    /// Reads past a number in the full JSON grammar: -?int(.digits)?([eE][+-]?digits)?
    private mutating func skipNumber() throws(Failure) {
        let start = offset
        func digits(_ reader: inout JSONReader) -> Int {
            let from = reader.offset
            while let byte = reader.peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                reader.offset += 1
            }
            return reader.offset - from
        }
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard digits(&self) > 0 else { throw failure("expected a value", at: start) }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw failure("digits expected after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw failure("digits expected in an exponent") }
        }
    }
}

extension JSONReader.Failure {
    func prefixingPath(_ component: String) -> Self {
        var copy = self
        copy.path = component + path
        return copy
    }
}
