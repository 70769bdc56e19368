import CTraceMalloc

/// A snapshot as the preloaded tracer writes it: return addresses plus the images needed to
/// symbolise them later, in another process.
///
/// The traced process runs no Swift, so the C tracer writes this little-endian layout and
/// `swift-tracemalloc run` turns it into a `Snapshot` once the program has ended:
///
///     magic "TMRAW001"; u32 version = 2; u32 traceback_limit; u64 pid
///     u32 nimages, then per image:
///         u64 start, u64 end, u64 bias, u16 build_id_len, build id, u16 path_len, path (no NUL)
///     u64 ntracebacks, then per traceback:
///         u32 nstored, u32 total_depth (capped at TM_MAX_NFRAME, never below nstored),
///         u64 return_addresses[nstored] (most recent first)
///     u64 ntraces, then per trace: u32 domain, u32 traceback_index, u64 size
///     u64 current, u64 peak,
///     u32 nreasons, u64 slow_captures[nreasons] (tm_unwind_stats, in order), magic "TMEND001"
///
/// Reading validates like any other file: every count is checked against the bytes that remain
/// before anything is reserved, so a truncated or corrupt file throws one clear error.
package struct RawSnapshot: Sendable {
    /// A traceback as the tracer interned it: return addresses, not yet symbolised.
    package struct Traceback: Hashable, Sendable {
        /// Return addresses, most recent first, the tracer's own hook frames already removed.
        package var returnAddresses: [UInt]
        /// The depth of the whole stack, which may exceed `returnAddresses.count`.
        package var totalDepth: Int

        package init(returnAddresses: [UInt], totalDepth: Int) {
            self.returnAddresses = returnAddresses
            self.totalDepth = totalDepth
        }
    }

    /// The `nframe` the process traced with.
    package var tracebackLimit: Int
    /// The process that wrote the file.
    package var pid: Int
    /// The images loaded in that process when the file was written.
    package var images: [Image]
    /// Each distinct traceback once; `records` refer to them by index.
    package var tracebacks: [Traceback]
    /// The live blocks, in the tracer's order.
    package var records: [Snapshot.Record]
    /// The traced bytes live when the file was written (`tracedMemory().current`).
    package var current: Int
    /// The high-water mark of traced bytes (`tracedMemory().peak`).
    package var peak: Int
    /// How many stack captures went to libgcc's slow unwinder, by the reason the fast walk gave
    /// up: the fields of `tm_unwind_stats`, named by `slowCaptureReasons`.
    package var slowCaptures: [Int]

    /// What each count of `slowCaptures` means, in the words a warning uses.
    package static let slowCaptureReasons = [
        "return address in no loaded image", "image without unwind tables", "address no function covers",
        "unwind rule the tables cannot express", "signal interrupted code with frame pointers",
        "rule pointing outside the stack", "stack of unknown bounds", "frames to skip without frame pointers",
    ]

    package init(
        tracebackLimit: Int, pid: Int, images: [Image], tracebacks: [Traceback],
        records: [Snapshot.Record],
        current: Int, peak: Int, slowCaptures: [Int] = Array(repeating: 0, count: slowCaptureReasons.count)
    ) {
        self.tracebackLimit = tracebackLimit
        self.pid = pid
        self.images = images
        self.tracebacks = tracebacks
        self.records = records
        self.current = current
        self.peak = peak
        self.slowCaptures = slowCaptures
    }
}

extension RawSnapshot {
    static let magic = Array("TMRAW001".utf8)
    static let endMagic = Array("TMEND001".utf8)
    static let version: UInt32 = 2

    /// Reads a raw snapshot file.
    ///
    /// - Parameter path: The file the tracer wrote.
    /// - Throws: `TraceMallocError.invalidFile` naming the file and what is wrong with it.
    package init(contentsOf path: String) throws {
        try self.init(bytes: FileIO.readAll(path: path), path: path)
    }

    /// Parses the bytes of a raw snapshot file.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The file's name, for error messages.
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and what is wrong with the bytes.
    package init(bytes: [UInt8], path: String) throws {
        self = try bytes.withUnsafeBytes { buffer in
            var reader = Reader(bytes: buffer, path: path)
            return try reader.readSnapshot()
        }
    }
}

/// A bounds-checked little-endian cursor over a raw snapshot file.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    mutating func readSnapshot() throws -> RawSnapshot {
        guard !bytes.isEmpty else { throw failure("empty file") }
        guard remaining >= RawSnapshot.magic.count,
            Array(bytes[0..<RawSnapshot.magic.count]) == RawSnapshot.magic
        else { throw failure("not a swift-tracemalloc raw snapshot (bad magic)") }
        offset = RawSnapshot.magic.count

        try need(16, "the header")
        let version = u32()
        guard version == RawSnapshot.version else {
            throw failure("raw format version \(version) is not supported (expected \(RawSnapshot.version))")
        }
        let limit = Int(u32())
        guard (1...Int(TM_MAX_NFRAME)).contains(limit) else {
            throw failure("traceback limit \(limit) is outside [1; \(TM_MAX_NFRAME)]")
        }
        let pid = try int(u64(), "pid")

        let images = try readImages()
        let tracebacks = try readTracebacks()
        let records = try readRecords(tracebackCount: tracebacks.count)

        try need(20 + RawSnapshot.endMagic.count, "the trailer")
        let current = try int(u64(), "current size")
        let peak = try int(u64(), "peak size")
        let reasons = Int(u32())
        guard reasons == RawSnapshot.slowCaptureReasons.count else {
            throw failure("\(reasons) slow-capture counters, expected \(RawSnapshot.slowCaptureReasons.count)")
        }
        try need(8 * reasons + RawSnapshot.endMagic.count, "the trailer")
        let slowCaptures = try (0..<reasons).map { _ in try int(u64(), "slow-capture count") }
        guard Array(bytes[offset..<offset + RawSnapshot.endMagic.count]) == RawSnapshot.endMagic else {
            throw failure("corrupt trailer (bad end magic)")
        }
        offset += RawSnapshot.endMagic.count
        guard remaining == 0 else {
            throw failure("\(remaining) unexpected bytes after the end marker")
        }
        return RawSnapshot(
            tracebackLimit: limit, pid: pid, images: images, tracebacks: tracebacks, records: records,
            current: current, peak: peak, slowCaptures: slowCaptures)
    }

    private mutating func readImages() throws -> [Image] {
        try need(4, "the image count")
        let count = Int(u32())
        let smallest = 3 * 8 + 2 + 2
        guard count <= remaining / smallest else {
            throw failure("truncated file: \(count) images cannot fit in the \(remaining) bytes left")
        }
        var images: [Image] = []
        images.reserveCapacity(count)
        for index in 0..<count {
            let what = "image \(index)"
            try need(3 * 8 + 2, what)
            let start = UInt(u64())
            let end = UInt(u64())
            let bias = UInt(u64())
            guard start <= end else { throw failure("\(what) ends before it starts") }
            let buildID = Array(try byteString(what))
            let path = String(decoding: try byteString(what), as: UTF8.self)
            images.append(Image(
                path: path, buildID: buildID.isEmpty ? nil : buildID, bias: bias, start: start, end: end))
        }
        return images
    }

    private mutating func readTracebacks() throws -> [RawSnapshot.Traceback] {
        try need(8, "the traceback count")
        let count = try int(u64(), "traceback count")
        guard count <= remaining / 8 else {
            throw failure("truncated file: \(count) tracebacks cannot fit in the \(remaining) bytes left")
        }
        var tracebacks: [RawSnapshot.Traceback] = []
        tracebacks.reserveCapacity(count)
        for index in 0..<count {
            let what = "traceback \(index)"
            try need(8, what)
            let stored = Int(u32())
            let depth = Int(u32())
            guard stored <= depth else {
                throw failure("\(what) stores \(stored) frames of a \(depth)-frame stack")
            }
            try need(stored * 8, what)
            var addresses: [UInt] = []
            addresses.reserveCapacity(stored)
            for _ in 0..<stored { addresses.append(UInt(u64())) }
            tracebacks.append(RawSnapshot.Traceback(returnAddresses: addresses, totalDepth: depth))
        }
        return tracebacks
    }

    private mutating func readRecords(tracebackCount: Int) throws -> [Snapshot.Record] {
        try need(8, "the trace count")
        let count = try int(u64(), "trace count")
        guard count <= remaining / 16 else {
            throw failure("truncated file: \(count) traces cannot fit in the \(remaining) bytes left")
        }
        var records: [Snapshot.Record] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            try need(16, "trace \(index)")
            let domain = u32()
            let traceback = Int(u32())
            guard traceback < tracebackCount else {
                throw failure("trace \(index) refers to traceback \(traceback) of \(tracebackCount)")
            }
            let size = try int(u64(), "size of trace \(index)")
            records.append(Snapshot.Record(domain: domain, size: size, traceback: traceback))
        }
        return records
    }

    /// A u16 length followed by that many bytes.
    private mutating func byteString(_ what: String) throws -> UnsafeRawBufferPointer {
        try need(2, what)
        let length = Int(u16())
        try need(length, what)
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    private func need(_ count: Int, _ what: String) throws {
        guard count <= remaining else {
            throw failure("truncated file: expected \(count - remaining) more bytes for \(what)")
        }
    }

    private func int(_ value: UInt64, _ what: String) throws -> Int {
        guard let result = Int(exactly: value) else { throw failure("absurd \(what) \(value)") }
        return result
    }

    private func failure(_ reason: String) -> TraceMallocError {
        .invalidFile(path: path, reason: reason)
    }

    // Callers check `need` first: these only load and advance.
    private mutating func u16() -> UInt16 { load(UInt16.self) }
    private mutating func u32() -> UInt32 { load(UInt32.self) }
    private mutating func u64() -> UInt64 { load(UInt64.self) }

    private mutating func load<T: FixedWidthInteger>(_: T.Type) -> T {
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
