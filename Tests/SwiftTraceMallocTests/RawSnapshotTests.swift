import Testing
import TraceMalloc

/// Encodes a raw snapshot byte by byte, as the C tracer lays it out (see `RawSnapshot`).
struct RawFileBuilder {
    var bytes: [UInt8] = []

    mutating func bytes(_ string: String) { bytes += Array(string.utf8) }
    mutating func u16(_ value: Int) { append(UInt16(value)) }
    mutating func u32(_ value: Int) { append(UInt32(value)) }
    mutating func u64(_ value: UInt64) { append(value) }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The bytes of `raw`, exactly as the tracer would write them.
    static func encode(_ raw: RawSnapshot) -> [UInt8] {
        var out = RawFileBuilder()
        out.bytes("TMRAW001")
        out.u32(2)
        out.u32(raw.tracebackLimit)
        out.u64(UInt64(raw.pid))
        out.u32(raw.images.count)
        for image in raw.images {
            out.u64(UInt64(image.start))
            out.u64(UInt64(image.end))
            out.u64(UInt64(image.bias))
            out.u16(image.buildID?.count ?? 0)
            out.bytes += image.buildID ?? []
            out.u16(image.path.utf8.count)
            out.bytes(image.path)
        }
        out.u64(UInt64(raw.tracebacks.count))
        for traceback in raw.tracebacks {
            out.u32(traceback.returnAddresses.count)
            out.u32(traceback.totalDepth)
            for address in traceback.returnAddresses { out.u64(UInt64(address)) }
        }
        out.u64(UInt64(raw.records.count))
        for record in raw.records {
            out.u32(Int(record.domain))
            out.u32(record.traceback)
            out.u64(UInt64(record.size))
        }
        out.u64(UInt64(raw.current))
        out.u64(UInt64(raw.peak))
        out.u32(raw.slowCaptures.count)
        for count in raw.slowCaptures { out.u64(UInt64(count)) }
        out.bytes("TMEND001")
        return out.bytes
    }
}

let sampleRaw = RawSnapshot(
    tracebackLimit: 25, pid: 4242,
    images: [
        .init(path: "/tmp/app", buildID: [0xde, 0xad, 0xbe, 0xef], bias: 0x40_0000, start: 0x40_0000, end: 0x48_0000),
        .init(path: "/lib/é.so", buildID: nil, bias: 0x7f00_0000_0000, start: 0x7f00_0000_0000, end: 0x7f00_0020_0000),
    ],
    tracebacks: [
        .init(returnAddresses: [0x40_1234, 0x40_0100], totalDepth: 7),
        .init(returnAddresses: [0x7f00_0000_0042], totalDepth: 1),
    ],
    records: [
        .init(domain: 0, size: 100, traceback: 1),
        .init(domain: 5, size: 1 << 41, traceback: 0),
        .init(domain: 0, size: 0, traceback: 1),
    ],
    current: 1 << 41 + 100, peak: 1 << 42, slowCaptures: [0, 0, 7, 0, 0, 1, 0, 0])

@Test func rawSnapshotReadsEveryFieldTheTracerWrites() throws {
    let raw = try RawSnapshot(bytes: RawFileBuilder.encode(sampleRaw), path: "app.tm.raw")
    #expect(raw.tracebackLimit == 25)
    #expect(raw.pid == 4242)
    #expect(raw.images == sampleRaw.images)
    #expect(raw.tracebacks == sampleRaw.tracebacks)
    #expect(raw.records == sampleRaw.records)
    #expect(raw.current == sampleRaw.current)
    #expect(raw.peak == sampleRaw.peak)
}

@Test func rawSnapshotWithNothingLiveIsValid() throws {
    let empty = RawSnapshot(tracebackLimit: 1, pid: 1, images: [], tracebacks: [], records: [], current: 0, peak: 0)
    let raw = try RawSnapshot(bytes: RawFileBuilder.encode(empty), path: "x")
    #expect(raw.records.isEmpty && raw.tracebacks.isEmpty && raw.images.isEmpty)
}

@Test func rawSnapshotTruncatedAtEveryOffsetThrowsNamingTheFile() {
    let bytes = RawFileBuilder.encode(sampleRaw)
    for length in 0..<bytes.count {
        #expect {
            try RawSnapshot(bytes: Array(bytes[..<length]), path: "cut.raw")
        } throws: { error in
            guard case .invalidFile(let path, let reason) = error as? TraceMallocError else { return false }
            return path == "cut.raw" && (reason.hasPrefix("truncated file: ") || length < 8)
        }
    }
}

@Test func rawSnapshotErrorsSayWhatIsWrong() {
    func reason(_ edit: (inout [UInt8]) -> Void) -> String? {
        var bytes = RawFileBuilder.encode(sampleRaw)
        edit(&bytes)
        do {
            _ = try RawSnapshot(bytes: bytes, path: "f.raw")
            return nil
        } catch {
            return "\(error)"
        }
    }
    let imagesEnd = 28 + (28 + 4 + 8) + (28 + 10)
    let tracebacksEnd = imagesEnd + 8 + (8 + 16) + (8 + 8)
    #expect(reason { $0 = [] } == "f.raw: empty file")
    #expect(reason { $0[0] = UInt8(ascii: "X") } == "f.raw: not a swift-tracemalloc raw snapshot (bad magic)")
    #expect(reason { $0[8] = 9 } == "f.raw: raw format version 9 is not supported (expected 2)")
    #expect(reason { $0[12...15] = [0, 0, 1, 0] } == "f.raw: traceback limit 65536 is outside [1; 65535]")
    #expect(reason { $0[24] = 0xff } == "f.raw: truncated file: 255 images cannot fit in the \(RawFileBuilder.encode(sampleRaw).count - 28) bytes left")
    #expect(reason { $0[imagesEnd + 7] = 0x10 }?.hasSuffix("tracebacks cannot fit in the \(RawFileBuilder.encode(sampleRaw).count - imagesEnd - 8) bytes left") == true)
    #expect(reason { $0[tracebacksEnd + 7] = 0x10 }?.contains("traces cannot fit") == true)
    #expect(reason { $0[tracebacksEnd + 8 + 4] = 2 } == "f.raw: trace 0 refers to traceback 2 of 2")
    #expect(reason { $0[tracebacksEnd + 8 + 15] = 0x80 } == "f.raw: absurd size of trace 0 9223372036854775908")
    #expect(reason { $0[$0.count - 1] = UInt8(ascii: "X") } == "f.raw: corrupt trailer (bad end magic)")
    #expect(reason { $0 += [0, 0] } == "f.raw: 2 unexpected bytes after the end marker")
}

@Test func rawSnapshotFileThatDoesNotExistThrowsOneClearError() {
    #expect(throws: TraceMallocError.invalidFile(path: "/nonexistent/app.tm.raw", reason: "cannot open: No such file or directory")) {
        try RawSnapshot(contentsOf: "/nonexistent/app.tm.raw")
    }
}

@Test func rawSnapshotWithRandomlyFlippedBytesParsesOrThrowsButNeverCrashes() {
    // SplitMix64: a seeded generator, so a failure can be replayed.
    var state: UInt64 = 0x5EED
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let original = RawFileBuilder.encode(sampleRaw)
    var parsed = 0
    for _ in 0..<10_000 {
        var bytes = original
        for _ in 0...(next() % 4) {
            bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
        }
        do {
            _ = try RawSnapshot(bytes: bytes, path: "flipped.raw")
            parsed += 1
        } catch {
            #expect(error is TraceMallocError)
        }
    }
    // Flips in addresses, sizes and paths leave a valid file; flips in counts and magics do not.
    #expect(parsed > 1_000 && parsed < 10_000)
}
