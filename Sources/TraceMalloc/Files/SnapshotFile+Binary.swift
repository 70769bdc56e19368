/// The binary snapshot format, version 1.
///
/// A 24-byte header, then the data. Header integers are fixed-width little-endian:
///
///     offset  size  field
///          0     8  magic 89 53 54 4D 0D 0A 1A 0A ("\x89STM\r\n\x1a\n": a text-mode copy or a
///                   7-bit channel mangles it, as with PNG)
///          8     4  format version (UInt32), 1
///         12     8  data length in bytes (UInt64): the file is exactly 24 + this long
///         20     4  CRC-32 (IEEE) of the data (UInt32)
///
/// The data uses LEB128 varints: `u` is unsigned, `s` zigzag-signed. Strings, frames and tracebacks
/// are stored once each and referred to by their index in their table:
///
///     s  traceback limit
///     u  string count,    then per string:    u byte count, UTF-8 bytes
///     u  frame count,     then per frame:     u filename (string index), s lineno,
///                                             u function, u image (string index + 1; 0 = none)
///     u  traceback count, then per traceback: u frame count, u frame index per frame (oldest
///                                             first), u 0 (totalNframe nil) or 1 then s totalNframe
///     u  trace count,     then per trace:     u domain, u size, u traceback index
///
/// The reader checks the header, then the length and checksum, then every count against the bytes
/// left and every index against its table, so no file can make it crash or allocate without bound.
extension SnapshotFile {
    static let magic: [UInt8] = [0x89, 0x53, 0x54, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    static let binaryVersion: UInt32 = 1
    static let binaryHeaderSize = 24

    /// Encodes `snapshot` in the binary format.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path` when a trace has a negative size.
    static func encodeBinary(_ snapshot: Snapshot, path: String) throws -> [UInt8] {
        var tables = SnapshotTables()
        let tracebackNumbers = snapshot.tracebacks.map { tables.number(of: $0) }

        var data = ByteWriter()
        data.append(signed: snapshot.tracebackLimit)
        data.append(unsigned: UInt64(tables.strings.values.count))
        for string in tables.strings.values {
            data.append(string: string.value)
        }
        data.append(unsigned: UInt64(tables.frames.values.count))
        for frame in tables.frames.values {
            data.append(unsigned: UInt64(frame.filename))
            data.append(signed: frame.lineno)
            data.append(unsigned: frame.function.map { UInt64($0) + 1 } ?? 0)
            data.append(unsigned: frame.image.map { UInt64($0) + 1 } ?? 0)
        }
        data.append(unsigned: UInt64(tables.tracebacks.values.count))
        for traceback in tables.tracebacks.values {
            data.append(unsigned: UInt64(traceback.frames.count))
            for frame in traceback.frames {
                data.append(unsigned: UInt64(frame))
            }
            if let totalNframe = traceback.totalNframe {
                data.append(unsigned: 1)
                data.append(signed: totalNframe)
            } else {
                data.append(unsigned: 0)
            }
        }
        data.append(unsigned: UInt64(snapshot.records.count))
        for (index, record) in snapshot.records.enumerated() {
            guard record.size >= 0 else {
                throw TraceMallocError.invalidFile(
                    path: path, reason: "cannot write trace \(index): negative size \(record.size)")
            }
            data.append(unsigned: UInt64(record.domain))
            data.append(unsigned: UInt64(record.size))
            data.append(unsigned: UInt64(tracebackNumbers[record.traceback]))
        }

        var file = ByteWriter()
        file.append(contentsOf: magic)
        file.append(littleEndian: binaryVersion)
        file.append(littleEndian: UInt64(data.bytes.count))
        file.append(littleEndian: data.bytes.withUnsafeBytes { CRC32.checksum($0) })
        file.append(contentsOf: data.bytes)
        return file.bytes
    }

    /// Decodes a binary snapshot file whose first bytes are known to be `magic`, or a prefix of it.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and what is wrong.
    static func decodeBinary(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Snapshot {
        func invalid(_ reason: String) -> TraceMallocError {
            .invalidFile(path: path, reason: reason)
        }
        func truncatedHeader(needing size: Int) -> TraceMallocError {
            invalid("truncated file: expected \(moreBytes(size - bytes.count)) for the header")
        }

        func field<T: FixedWidthInteger>(at offset: Int, _: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        guard bytes.count >= 12 else { throw truncatedHeader(needing: 12) }
        let version = field(at: 8, UInt32.self)
        guard version <= binaryVersion else {
            throw invalid("format version \(version) is newer than this reader (\(binaryVersion))")
        }
        guard version == binaryVersion else { throw invalid("unknown format version \(version)") }
        guard bytes.count >= binaryHeaderSize else { throw truncatedHeader(needing: binaryHeaderSize) }
        let length = field(at: 12, UInt64.self)
        let storedChecksum = field(at: 20, UInt32.self)

        let present = UInt64(bytes.count - binaryHeaderSize)
        guard length <= present else {
            throw invalid("truncated file: expected \(moreBytes(length - present)) "
                + "(the header announces \(byteCount(length)) of data, \(present) present)")
        }
        guard length == present else {
            throw invalid("corrupt file: \(byteCount(present - length)) after the end of the data")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[binaryHeaderSize...])
        let checksum = CRC32.checksum(data)
        guard checksum == storedChecksum else {
            throw invalid("corrupt file: checksum mismatch (header 0x\(hex(storedChecksum)), "
                + "data 0x\(hex(checksum)))")
        }
        var decoder = BinaryDataDecoder(reader: ByteReader(data))
        do {
            return try decoder.decode()
        } catch {
            throw invalid("corrupt data: \(error.reason)")
        }
    }

    /// "1 byte", "2 bytes": for messages.
    static func byteCount(_ count: some BinaryInteger) -> String {
        count == 1 ? "1 byte" : "\(count) bytes"
    }

    /// "1 more byte", "2 more bytes": for messages.
    static func moreBytes(_ count: some BinaryInteger) -> String {
        count == 1 ? "1 more byte" : "\(count) more bytes"
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Decodes the data part of a binary snapshot (after the header), naming the part at fault.
private struct BinaryDataDecoder {
    struct Failure: Error {
        var reason: String
    }

    /// What is being read; cheap to set in hot loops, spelled out only in a message.
    private enum Part: CustomStringConvertible {
        case tracebackLimit, table(String), string(Int), frame(Int), traceback(Int), trace(Int)

        var description: String {
            switch self {
            case .tracebackLimit: "the traceback limit"
            case .table(let name): "the \(name) table"
            case .string(let index): "string \(index)"
            case .frame(let index): "frame \(index)"
            case .traceback(let index): "traceback \(index)"
            case .trace(let index): "trace \(index)"
            }
        }
    }

    private var reader: ByteReader
    private var part = Part.tracebackLimit

    init(reader: ByteReader) {
        self.reader = reader
    }

    mutating func decode() throws(Failure) -> Snapshot {
        let tracebackLimit = try signed()

        part = .table("string")
        let stringCount = try count(of: "strings", minimumBytes: 1)
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for index in 0..<stringCount {
            part = .string(index)
            do {
                strings.append(try reader.readString())
            } catch {
                throw describe(error)
            }
        }

        part = .table("frame")
        let frameCount = try count(of: "frames", minimumBytes: 4)
        var frames: [Frame] = []
        frames.reserveCapacity(frameCount)
        for index in 0..<frameCount {
            part = .frame(index)
            let filename = try string(strings)
            let lineno = try signed()
            let function = try optionalString(strings)
            let image = try optionalString(strings)
            frames.append(Frame(filename: filename, lineno: lineno, function: function, image: image))
        }

        part = .table("traceback")
        let tracebackCount = try count(of: "tracebacks", minimumBytes: 2)
        var tracebacks: [Traceback] = []
        tracebacks.reserveCapacity(tracebackCount)
        for index in 0..<tracebackCount {
            part = .traceback(index)
            let depth = try count(of: "frames", minimumBytes: 1)
            var tracebackFrames: [Frame] = []
            tracebackFrames.reserveCapacity(depth)
            for _ in 0..<depth {
                tracebackFrames.append(frames[try self.index(into: frames.count, of: "frame")])
            }
            let totalNframe: Int?
            switch try unsigned() {
            case 0: totalNframe = nil
            case 1: totalNframe = try signed()
            case let tag: throw Failure(reason: "bad totalNframe tag \(tag) in \(part)")
            }
            tracebacks.append(Traceback(frames: tracebackFrames, totalNframe: totalNframe))
        }

        part = .table("trace")
        let traceCount = try count(of: "traces", minimumBytes: 3)
        var records: [Snapshot.Record] = []
        records.reserveCapacity(traceCount)
        for index in 0..<traceCount {
            part = .trace(index)
            let domain = try unsigned()
            let size = try unsigned()
            let traceback = try unsigned()
            guard domain <= UInt32.max else { throw Failure(reason: "domain \(domain) of \(part) exceeds UInt32") }
            guard size <= Int.max else { throw Failure(reason: "size \(size) of \(part) exceeds Int.max") }
            guard traceback < tracebacks.count else {
                throw Failure(reason: "\(part) refers to traceback \(traceback) of \(tracebacks.count)")
            }
            records.append(Snapshot.Record(domain: UInt32(domain), size: Int(size), traceback: Int(traceback)))
        }
        guard reader.remaining == 0 else {
            throw Failure(reason: "\(SnapshotFile.byteCount(reader.remaining)) left after the last trace")
        }
        return Snapshot(tracebacks: tracebacks, records: records, tracebackLimit: tracebackLimit)
    }

    private func describe(_ failure: ByteReader.Failure) -> Failure {
        switch failure {
        case .truncated(let missing): Failure(reason: "expected \(SnapshotFile.moreBytes(missing)) for \(part)")
        case .oversizedInteger: Failure(reason: "integer longer than 64 bits in \(part)")
        case .invalidUTF8: Failure(reason: "\(part) is not UTF-8")
        }
    }

    private mutating func unsigned() throws(Failure) -> UInt64 {
        do {
            return try reader.readUnsigned()
        } catch {
            throw describe(error)
        }
    }

    private mutating func signed() throws(Failure) -> Int {
        do {
            return try reader.readSigned()
        } catch {
            throw describe(error)
        }
    }

    /// Reads a count of items taking at least `minimumBytes` each, refusing counts the data cannot hold.
    private mutating func count(of items: String, minimumBytes: Int) throws(Failure) -> Int {
        let count = try unsigned()
        guard count <= UInt64(reader.remaining / minimumBytes) else {
            let left = SnapshotFile.byteCount(reader.remaining)
            throw Failure(reason: "\(count) \(items) in \(part) cannot fit in the \(left) left")
        }
        return Int(count)
    }

    /// Reads an index into a table of `count` entries.
    private mutating func index(into count: Int, of entry: String) throws(Failure) -> Int {
        let index = try unsigned()
        guard index < count else { throw Failure(reason: "\(part) refers to \(entry) \(index) of \(count)") }
        return Int(index)
    }

    private mutating func string(_ strings: [String]) throws(Failure) -> String {
        strings[try index(into: strings.count, of: "string")]
    }

    /// Reads a string index plus one, 0 meaning none.
    private mutating func optionalString(_ strings: [String]) throws(Failure) -> String? {
        let tagged = try unsigned()
        guard tagged > 0 else { return nil }
        guard tagged <= strings.count else {
            throw Failure(reason: "\(part) refers to string \(tagged - 1) of \(strings.count)")
        }
        return strings[Int(tagged - 1)]
    }
}
