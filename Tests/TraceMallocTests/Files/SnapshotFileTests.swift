import Foundation
import Testing
@testable import TraceMalloc

// MARK: Fixtures shared by the SnapshotFile*Tests files

/// A seeded generator (SplitMix64), so random tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A trace with every field spelled out byte for byte: `Frame ==` ignores function and image, and
/// `String ==` equates NFC and NFD, so neither can tell whether a file kept everything.
struct ExactTrace: Equatable, CustomStringConvertible {
    struct ExactFrame: Equatable {
        var filename: [UInt8]
        var lineno: Int
        var function: [UInt8]?
        var image: [UInt8]?
    }

    var domain: UInt32
    var size: Int
    var frames: [ExactFrame]
    var totalNframe: Int?

    init(_ trace: Trace) {
        domain = trace.domain
        size = trace.size
        frames = trace.traceback.frames.map {
            ExactFrame(filename: Array($0.filename.utf8), lineno: $0.lineno,
                       function: $0.function.map { Array($0.utf8) }, image: $0.image.map { Array($0.utf8) })
        }
        totalNframe = trace.traceback.totalNframe
    }

    /// Names spelled in ASCII escapes, so NFC and NFD look different too.
    var description: String {
        func spelled(_ utf8: [UInt8]?) -> String {
            guard let utf8 else { return "nil" }
            return String(decoding: utf8, as: UTF8.self).unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
        }
        let frames = frames.map { "\(spelled($0.filename)):\($0.lineno) \(spelled($0.function)) \(spelled($0.image))" }
        return "(domain \(domain), size \(size), \(frames), totalNframe \(totalNframe.map(String.init) ?? "nil"))"
    }
}

/// Where `loaded` differs from `original` in the limit or any field of any trace, or nil.
func firstDifference(_ loaded: Snapshot, _ original: Snapshot) -> String? {
    guard loaded.tracebackLimit == original.tracebackLimit else {
        return "tracebackLimit \(loaded.tracebackLimit) != \(original.tracebackLimit)"
    }
    let (loadedTraces, originalTraces) = (loaded.traces, original.traces)
    guard loadedTraces.count == originalTraces.count else {
        return "\(loadedTraces.count) traces != \(originalTraces.count)"
    }
    for (index, (a, b)) in zip(loadedTraces, originalTraces).enumerated() where ExactTrace(a) != ExactTrace(b) {
        return "trace \(index): \(ExactTrace(a)) != \(ExactTrace(b))"
    }
    return nil
}

/// A snapshot holding these traces, one stored traceback per trace (as a producer that does not
/// intern would make it).
func makeSnapshot(_ traces: [Trace], tracebackLimit: Int) -> Snapshot {
    Snapshot(tracebacks: traces.map(\.traceback),
             records: traces.enumerated().map { .init(domain: $1.domain, size: $1.size, traceback: $0) },
             tracebackLimit: tracebackLimit)
}

/// Everything a file must keep: odd names (NFC and NFD, emoji, empty, quotes, control characters),
/// missing functions and images, frames that differ only in function, huge and zero sizes, every
/// kind of totalNframe, extreme line numbers, an empty traceback, many domains.
func richSnapshot(domains: UInt32 = 300) -> Snapshot {
    let nfc = "caf\u{E9}.swift"
    let nfd = "cafe\u{301}.swift"
    let main = Frame(filename: "/app/Sources/App/main.swift", lineno: 10, function: "main", image: "/app/.build/App")
    let parse = Frame(filename: "/app/Sources/App/Parser.swift", lineno: 42,
                      function: "App.Parser.parse(_:) -> [Swift.Int]", image: "/app/.build/App")
    let parseInlined = Frame(filename: parse.filename, lineno: parse.lineno, function: "App.Parser.next()",
                             image: parse.image)
    let odd = [
        Frame(filename: nfc, lineno: 1), Frame(filename: nfd, lineno: 1),
        Frame(filename: "", lineno: 0), Frame(filename: "日本語/ファイル.swift", lineno: 7, function: "🙂()"),
        Frame(filename: "quote\"back\\slash\nnew\tline\u{1}\u{7F}.swift", lineno: -1, function: "", image: ""),
        Frame(filename: "/lib/x86_64-linux-gnu/libc.so.6", lineno: 0, image: "/lib/x86_64-linux-gnu/libc.so.6"),
        Frame(filename: "big.swift", lineno: Int.max), Frame(filename: "small.swift", lineno: Int.min),
    ]
    var traces = [
        Trace(domain: 0, size: 64, traceback: Traceback(frames: [main], totalNframe: 1)),
        Trace(domain: 0, size: 5 << 40, traceback: Traceback(frames: [main, parse], totalNframe: 9)),
        Trace(domain: 0, size: 0, traceback: Traceback(frames: [main, parseInlined], totalNframe: nil)),
        Trace(domain: 0, size: 64, traceback: Traceback(frames: [main, parse], totalNframe: nil)),
        Trace(domain: UInt32.max, size: Int.max, traceback: Traceback(frames: odd, totalNframe: 65535)),
        Trace(domain: 3, size: 1, traceback: Traceback(frames: [], totalNframe: 0)),
        Trace(domain: 0, size: 64, traceback: Traceback(frames: [main], totalNframe: 1)),
        Trace(domain: 2, size: 17, traceback: Traceback(frames: [odd[1], odd[0]], totalNframe: Int.min)),
    ]
    for domain in 0..<domains {
        traces.append(Trace(domain: domain * 14_300_000, size: Int(domain) * 3,
                            traceback: Traceback(frames: [main, odd[Int(domain) % odd.count]], totalNframe: 2)))
    }
    return makeSnapshot(traces, tracebackLimit: 25)
}

/// A random snapshot of `count` traces over a few tracebacks, with random Unicode names.
func randomSnapshot(_ count: Int, using rng: inout SeededGenerator) -> Snapshot {
    func name() -> String {
        String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &rng)).map { _ in
            let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0x00...0x1F, 0xA0...0x2FF, 0x300...0x36F, 0x3040...0x30FF,
                                                0x1F600...0x1F64F, 0xFFF0...0xFFFD]
            return Unicode.Scalar(UInt32.random(in: pools.randomElement(using: &rng)!, using: &rng))!
        }))
    }
    let frames = (0..<Int.random(in: 1...20, using: &rng)).map { _ in
        Frame(filename: name(), lineno: Int.random(in: -5...100_000, using: &rng),
              function: Bool.random(using: &rng) ? name() : nil, image: Bool.random(using: &rng) ? name() : nil)
    }
    let tracebacks = (0..<Int.random(in: 1...10, using: &rng)).map { _ in
        Traceback(frames: (0..<Int.random(in: 0...6, using: &rng)).map { _ in frames.randomElement(using: &rng)! },
                  totalNframe: Bool.random(using: &rng) ? Int.random(in: 0...70_000, using: &rng) : nil)
    }
    let traces = (0..<count).map { _ in
        Trace(domain: UInt32.random(in: 0...4, using: &rng) == 0 ? UInt32.random(in: 0...UInt32.max, using: &rng) : 0,
              size: Int.random(in: 0...Int.max, using: &rng) >> Int.random(in: 0...62, using: &rng),
              traceback: tracebacks.randomElement(using: &rng)!)
    }
    return makeSnapshot(traces, tracebackLimit: Int.random(in: 1...65535, using: &rng))
}

/// A fresh directory for file tests, removed when `body` returns.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("SnapshotFileTests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

// MARK: Round trips

@Test(arguments: SnapshotFormat.allCases)
func roundTripInMemoryKeepsEveryField(format: SnapshotFormat) throws {
    let snapshot = richSnapshot()
    let loaded = try Snapshot(data: snapshot.data(format: format))
    #expect(firstDifference(loaded, snapshot) == nil)
}

@Test(arguments: SnapshotFormat.allCases)
func roundTripThroughAFileKeepsEveryField(format: SnapshotFormat) throws {
    try withTemporaryDirectory { directory throws in
        let path = directory + "/snapshot.\(format)"
        let snapshot = richSnapshot()
        try snapshot.dump(to: path, format: format)
        #expect(firstDifference(try Snapshot.load(from: path), snapshot) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["snapshot.\(format)"])
    }
}

@Test(arguments: SnapshotFormat.allCases)
func roundTripOfRandomSnapshotsKeepsEveryField(format: SnapshotFormat) throws {
    var rng = SeededGenerator(state: 2024)
    for round in 0..<200 {
        let snapshot = randomSnapshot(round, using: &rng)
        let loaded = try Snapshot(data: snapshot.data(format: format))
        #expect(firstDifference(loaded, snapshot) == nil, "round \(round)")
    }
}

@Test(arguments: SnapshotFormat.allCases)
func emptySnapshotRoundTrips(format: SnapshotFormat) throws {
    let snapshot = makeSnapshot([], tracebackLimit: 1)
    let loaded = try Snapshot(data: snapshot.data(format: format))
    #expect(loaded.traces.isEmpty)
    #expect(loaded.tracebackLimit == 1)
}

@Test func binaryFileStoresEachStringFrameAndTracebackOnce() throws {
    let frame = Frame(filename: "/a/long/path/to/a/file/that/would/dominate/the/size.swift", lineno: 3, function: "f()")
    let traces = (0..<10_000).map {
        Trace(domain: 0, size: $0, traceback: Traceback(frames: [frame, frame], totalNframe: 2))
    }
    let bytes = try makeSnapshot(traces, tracebackLimit: 5).data()
    // 10,000 traces of 3 to 5 bytes each; the path is stored once.
    #expect(bytes.count < 10_000 * 5 + 200)
    let loaded = try Snapshot(data: bytes)
    #expect(loaded.tracebacks.count == 1)
    #expect(firstDifference(loaded, makeSnapshot(traces, tracebackLimit: 5)) == nil)
}

@Test func binaryFileStartsWithMagicAndVersion() throws {
    let bytes = try [UInt8](richSnapshot().data())
    #expect(bytes.prefix(12) == [0x89, 0x53, 0x54, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 0, 0])
    #expect(bytes.count == 24 + Int(bytes[12..<20].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
}

// MARK: JSON interchange

@Test func jsonIsWrittenInTheDocumentedSchemaOneTracePerLine() throws {
    let snapshot = makeSnapshot([
        Trace(domain: 0, size: 64,
              traceback: Traceback(frames: [Frame(filename: "main.swift", lineno: 10, function: "main")],
                                   totalNframe: 3)),
        Trace(domain: 7, size: 5,
              traceback: Traceback(frames: [Frame(filename: "/a\"b.swift", lineno: 2, image: "/bin/x")])),
    ], tracebackLimit: 25)
    let json = String(decoding: try snapshot.data(format: .json), as: UTF8.self)
    #expect(json == """
        {"format":"swift-tracemalloc-snapshot","version":1,"traceback_limit":25,"traces":[
        {"domain":0,"size":64,"total_nframe":3,"frames":[{"filename":"main.swift","lineno":10,"function":"main"}]},
        {"domain":7,"size":5,"total_nframe":null,"frames":[{"filename":"/a\\"b.swift","lineno":2,"image":"/bin/x"}]}
        ]}

        """)
}

@Test func jsonFromTheAPIDocumentLoads() throws {
    let json = """
        {"format": "swift-tracemalloc-snapshot", "version": 1, "traceback_limit": 25,
         "traces": [{"domain": 0, "size": 64, "total_nframe": 3,
                     "frames": [{"filename": "main.swift", "lineno": 10, "function": "main"}]}]}
        """
    let snapshot = try Snapshot(data: Data(json.utf8))
    #expect(snapshot.tracebackLimit == 25)
    #expect(snapshot.traces.count == 1)
    let trace = try #require(snapshot.traces.first)
    #expect(trace.domain == 0 && trace.size == 64 && trace.traceback.totalNframe == 3)
    #expect(trace.traceback.frames.map(\.filename) == ["main.swift"])
    #expect(trace.traceback.frames.map(\.lineno) == [10])
    #expect(trace.traceback.frames.map(\.function) == ["main"])
    #expect(trace.traceback.frames.map(\.image) == [nil])
}

@Test func jsonFromOtherToolsLoadsWithAnyKeyOrderNullsEscapesAndUnknownKeys() throws {
    // As another tool might write it: byte order mark, traces before the header keys, extra keys,
    // explicit nulls, absent total_nframe, \u escapes with a surrogate pair and a lone surrogate.
    let json = "\u{FEFF}" + """
        {"traces": [
           {"frames": [{"lineno": 2, "filename": "a\\u00e9\\ud83d\\ude00\\/b.py", "function": null,
                        "extra": [1, {"x": -2.5e3}]},
                       {"filename": "\\udcff", "lineno": 0, "image": "lib.so"}],
            "size": 1099511627776, "domain": 4294967295, "comment": "ignored"},
           {"domain": 1, "size": 0, "total_nframe": null, "frames": []}
         ],
         "producer": {"name": "python", "version": [3, 11]},
         "traceback_limit": 5, "version": 1, "format": "swift-tracemalloc-snapshot"}
        """
    let snapshot = try Snapshot(data: Data(json.utf8))
    #expect(snapshot.tracebackLimit == 5)
    let traces = snapshot.traces
    #expect(traces.count == 2)
    #expect(traces[0].domain == UInt32.max && traces[0].size == 1 << 40 && traces[0].traceback.totalNframe == nil)
    #expect(traces[0].traceback.frames.map(\.filename) == ["a\u{E9}\u{1F600}/b.py", "\u{FFFD}"])
    #expect(traces[0].traceback.frames.map(\.function) == [nil, nil])
    #expect(traces[0].traceback.frames.map(\.image) == [nil, "lib.so"])
    #expect(traces[1].traceback.frames.isEmpty && traces[1].domain == 1)
}

@Test func jsonLoadInternsRepeatedTracebacks() throws {
    let frame = Frame(filename: "x.swift", lineno: 1, function: "f")
    let traces = (0..<1_000).map { Trace(domain: 0, size: $0, traceback: Traceback(frames: [frame], totalNframe: 1)) }
    let loaded = try Snapshot(data: makeSnapshot(traces, tracebackLimit: 1).data(format: .json))
    #expect(loaded.tracebacks.count == 1)
    #expect(loaded.records.map(\.size) == Array(0..<1_000))
}

@Test func loadRecognisesTheFormatFromTheContentNotTheName() throws {
    try withTemporaryDirectory { directory throws in
        let snapshot = richSnapshot()
        try snapshot.dump(to: directory + "/looks-binary.bin", format: .json)
        try snapshot.dump(to: directory + "/looks-json.json", format: .binary)
        #expect(firstDifference(try Snapshot.load(from: directory + "/looks-binary.bin"), snapshot) == nil)
        #expect(firstDifference(try Snapshot.load(from: directory + "/looks-json.json"), snapshot) == nil)
        #expect(try String(contentsOfFile: directory + "/looks-binary.bin", encoding: .utf8).hasPrefix("{\"format\""))
    }
}

// MARK: Atomic writes

@Test func dumpReplacesAnExistingFileAndLeavesNoTemporaryFile() throws {
    try withTemporaryDirectory { directory throws in
        let path = directory + "/snap"
        try makeSnapshot([], tracebackLimit: 1).dump(to: path)
        try richSnapshot().dump(to: path)
        #expect(firstDifference(try Snapshot.load(from: path), richSnapshot()) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["snap"])
    }
}

@Test func dumpToARelativePathWritesInTheCurrentDirectory() throws {
    try withTemporaryDirectory { directory throws in
        let previous = FileManager.default.currentDirectoryPath
        #expect(FileManager.default.changeCurrentDirectoryPath(directory))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try richSnapshot().dump(to: "relative.tmsnap")
        #expect(firstDifference(try Snapshot.load(from: directory + "/relative.tmsnap"), richSnapshot()) == nil)
    }
}

@Test func dumpCutShortByAFullDiskKeepsTheOldFileWhole() throws {
    try withTemporaryDirectory { directory throws in
        let path = directory + "/snap"
        let oldTraceback = Traceback(frames: [Frame(filename: "old", lineno: 1)])
        let old = Snapshot(traces: [Trace(domain: 0, size: 1, traceback: oldTraceback)], tracebackLimit: 1)
        try old.dump(to: path)
        var rng = SeededGenerator(state: 7)
        let big = randomSnapshot(20_000, using: &rng)

        // The kernel stops writes past 4 KiB with EFBIG, as a full disk would stop them.
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var previousLimit = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &previousLimit)
        var limit = previousLimit
        limit.rlim_cur = 4096
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        let result = Result { try big.dump(to: path) }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &previousLimit)
        signal(SIGXFSZ, previousHandler)

        #expect(throws: TraceMallocError.self) { try result.get() }
        #expect("\(result)".contains(path))
        #expect(firstDifference(try Snapshot.load(from: path), old) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["snap"])
    }
}
