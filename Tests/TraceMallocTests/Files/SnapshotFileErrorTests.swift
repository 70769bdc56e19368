import Foundation
import Testing
@testable import TraceMalloc

/// The message of the error that loading `path` throws, or nil if it loads.
private func loadError(_ path: String) -> String? {
    do {
        _ = try Snapshot.load(from: path)
        return nil
    } catch let error as TraceMallocError {
        return "\(error)"
    } catch {
        return "not a TraceMallocError: \(error)"
    }
}

/// The message of the error that decoding `bytes` as a file named "snap" throws, or nil.
private func decodeError(_ bytes: [UInt8]) -> String? {
    do {
        _ = try Snapshot(data: Data(bytes), source: "snap")
        return nil
    } catch let error as TraceMallocError {
        return "\(error)"
    } catch {
        return "not a TraceMallocError: \(error)"
    }
}

private func decodeError(_ json: String) -> String? {
    decodeError(Array(json.utf8))
}

extension ByteWriter {
    mutating func append(unsigned values: [UInt64]) {
        values.forEach { append(unsigned: $0) }
    }
}

/// A binary file around data written by `body`, with a correct header and checksum, so the
/// decoder's own checks are what stands between it and a crash.
func binaryFile(version: UInt32 = 1, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
    var data = ByteWriter()
    body(&data)
    var file = ByteWriter()
    file.append(contentsOf: SnapshotFile.magic)
    file.append(littleEndian: version)
    file.append(littleEndian: UInt64(data.bytes.count))
    file.append(littleEndian: data.bytes.withUnsafeBytes { CRC32.checksum($0) })
    file.append(contentsOf: data.bytes)
    return file.bytes
}

/// Data with no strings, frames or tracebacks, then `traces`.
private func tracesOnly(_ traces: (inout ByteWriter) -> Void) -> [UInt8] {
    binaryFile { data in
        data.append(signed: 1)
        data.append(unsigned: [0, 0, 0])
        traces(&data)
    }
}

/// Data with one string "a.swift", one frame and one traceback, then `traces`.
private func oneTraceback(_ traces: (inout ByteWriter) -> Void) -> [UInt8] {
    binaryFile { data in
        data.append(signed: 1)
        data.append(unsigned: 1)
        data.append(string: "a.swift")
        data.append(unsigned: 1)
        data.append(unsigned: [0, 2, 0, 0])
        data.append(unsigned: 1)
        data.append(unsigned: [1, 0, 0])
        traces(&data)
    }
}

// MARK: The file system

@Test func missingFileNamesTheFileAndTheReason() {
    #expect(loadError("/nonexistent-dir/snap.tmsnap")
            == "/nonexistent-dir/snap.tmsnap: cannot open: No such file or directory")
}

@Test func directoryIsNotASnapshot() throws {
    try withTemporaryDirectory { directory throws in
        #expect(loadError(directory) == "\(directory): not a regular file")
    }
}

@Test func fifoIsRefusedWithoutWaitingForAWriter() throws {
    try withTemporaryDirectory { directory throws in
        let path = directory + "/fifo"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(loadError(path) == "\(path): not a regular file")
    }
}

@Test func emptyFileIsNamedEmpty() throws {
    try withTemporaryDirectory { directory throws in
        let path = directory + "/empty"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(loadError(path) == "\(path): empty file")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(" \n\t".utf8)))
        #expect(loadError(path) == "\(path): empty file (only white space)")
    }
}

@Test func dumpIntoAMissingDirectoryNamesTheFile() {
    let path = "/nonexistent-dir/snap.tmsnap"
    #expect(throws: TraceMallocError.invalidFile(
        path: path, reason: "cannot create a temporary file: No such file or directory")) {
        try richSnapshot().dump(to: path)
    }
}

@Test func dumpOverADirectoryOrALinkIsRefusedAndLeavesEverythingAsItWas() throws {
    try withTemporaryDirectory { directory throws in
        try FileManager.default.createDirectory(atPath: directory + "/taken", withIntermediateDirectories: false)
        #expect(throws: TraceMallocError.invalidFile(
            path: directory + "/taken", reason: "is a directory; only a regular file is replaced, so nothing was written")) {
            try richSnapshot().dump(to: directory + "/taken")
        }
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "taken")
        #expect(throws: TraceMallocError.invalidFile(
            path: directory + "/link", reason: "is a symbolic link; only a regular file is replaced, so nothing was written")) {
            try richSnapshot().dump(to: directory + "/link")
        }
        try FileManager.default.removeItem(atPath: directory + "/link")
        #expect(throws: TraceMallocError.invalidFile(
            path: directory + "/", reason: "cannot write: the path has no file name")) {
            try richSnapshot().dump(to: directory + "/")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["taken"])
    }
}

@Test(arguments: SnapshotFormat.allCases)
func dumpOfANegativeSizeThrowsInsteadOfWritingWhatCannotBeLoaded(format: SnapshotFormat) throws {
    let snapshot = makeSnapshot([Trace(domain: 0, size: 1, traceback: Traceback(frames: [])),
                                 Trace(domain: 0, size: -5, traceback: Traceback(frames: []))], tracebackLimit: 1)
    try withTemporaryDirectory { directory throws in
        #expect(throws: TraceMallocError.invalidFile(
            path: directory + "/s", reason: "cannot write trace 1: negative size -5")) {
            try snapshot.dump(to: directory + "/s", format: format)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}

// MARK: Foreign, too new, truncated, corrupt

@Test func foreignFilesHaveABadMagic() {
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D]
    let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]
    for bytes in [png, elf, Array("hello, world\n".utf8), Array("\u{80}".utf8), [0x80, 0x04, 0x95]] {
        #expect(decodeError(bytes) == "snap: not a swift-tracemalloc snapshot (bad magic)")
    }
}

@Test func foreignJSONIsNamedByItsFormat() {
    #expect(decodeError(#"{"format": "chrome-trace", "version": 1}"#)
            == #"snap: not a swift-tracemalloc snapshot (JSON of format "chrome-trace")"#)
    #expect(decodeError(#"{"traceEvents": []}"#)
            == #"snap: not a swift-tracemalloc snapshot (JSON without a "format" key)"#)
    #expect(decodeError("[1, 2]") == "snap: invalid JSON at line 1, column 1: expected an object")
}

@Test func newerVersionsAreRefusedByNumber() {
    #expect(decodeError(binaryFile(version: 9) { _ in }) == "snap: format version 9 is newer than this reader (1)")
    #expect(decodeError(binaryFile(version: 0) { _ in }) == "snap: unknown format version 0")
    // The version is read before the rest of the header, which a later version may change.
    #expect(decodeError(Array(binaryFile(version: 2) { _ in }.prefix(12)))
            == "snap: format version 2 is newer than this reader (1)")
    #expect(decodeError(#"{"format": "swift-tracemalloc-snapshot", "version": 9, "traces": {"v9": "shape"}}"#)
            == "snap: format version 9 is newer than this reader (1)")
    #expect(decodeError(#"{"traces": 0, "version": 9, "format": "swift-tracemalloc-snapshot"}"#)
            == "snap: format version 9 is newer than this reader (1)")
}

@Test func truncatedBinaryFilesSayHowMuchIsMissing() throws {
    let bytes = try [UInt8](richSnapshot().data())
    let dataLength = bytes.count - 24
    #expect(decodeError(Array(bytes.dropLast(24)))
            == "snap: truncated file: expected 24 more bytes "
                + "(the header announces \(dataLength) bytes of data, \(dataLength - 24) present)")
    #expect(decodeError(Array(bytes.prefix(20))) == "snap: truncated file: expected 4 more bytes for the header")
    #expect(decodeError(Array(bytes.prefix(5))) == "snap: truncated file: expected 7 more bytes for the header")
}

@Test func corruptBinaryFilesFailTheirChecksum() throws {
    var bytes = try [UInt8](richSnapshot().data())
    bytes[100] ^= 0x10
    #expect(decodeError(bytes)?.hasPrefix("snap: corrupt file: checksum mismatch (header 0x") == true)
    #expect(decodeError(try [UInt8](richSnapshot().data()) + [0, 0])
            == "snap: corrupt file: 2 bytes after the end of the data")
}

@Test func truncatedJSONSaysWhereItEnds() throws {
    let json = try [UInt8](richSnapshot().data(format: .json))
    let message = try #require(decodeError(Array(json.prefix(200))))
    #expect(message.hasPrefix("snap: truncated file: the JSON ends at line 2, column "))
    #expect(message.hasSuffix("(traces[0].frames[0].function)") || message.hasSuffix("(traces[0].frames[0].image)"))
}

// MARK: Absurd content behind a valid checksum

@Test func absurdCountsAreRefusedBeforeAnythingIsReserved() {
    #expect(decodeError(tracesOnly { $0.append(unsigned: 1 << 60) })
            == "snap: corrupt data: 1152921504606846976 traces in the trace table cannot fit in the 0 bytes left")
    #expect(decodeError(binaryFile { $0.append(signed: 1); $0.append(unsigned: UInt64.max) })
            == "snap: corrupt data: 18446744073709551615 strings in the string table cannot fit in the 0 bytes left")
    #expect(decodeError(binaryFile { $0.append(signed: 1); $0.append(unsigned: 1); $0.append(unsigned: 1 << 62) })
            == "snap: corrupt data: expected 4611686018427387904 more bytes for string 0")
}

@Test func outOfRangeIndexesAreRefused() {
    #expect(decodeError(oneTraceback { $0.append(unsigned: 1); $0.append(unsigned: [0, 8, 99]) })
            == "snap: corrupt data: trace 0 refers to traceback 99 of 1")
    #expect(decodeError(binaryFile { data in
        data.append(signed: 1); data.append(unsigned: 1); data.append(string: "a")
        data.append(unsigned: 1); data.append(unsigned: [0, 0, 6, 0])
    }) == "snap: corrupt data: frame 0 refers to string 5 of 1")
    #expect(decodeError(binaryFile { data in
        data.append(signed: 1); data.append(unsigned: 0); data.append(unsigned: 0)
        data.append(unsigned: 1); data.append(unsigned: 1); data.append(unsigned: 0)
    }) == "snap: corrupt data: traceback 0 refers to frame 0 of 0")
}

@Test func sizesAndDomainsOutOfRangeAreRefused() {
    // A size above Int.max would be negative as an Int.
    #expect(decodeError(oneTraceback { $0.append(unsigned: 1); $0.append(unsigned: [0, UInt64(Int.max) + 1, 0]) })
            == "snap: corrupt data: size 9223372036854775808 of trace 0 exceeds Int.max")
    #expect(decodeError(oneTraceback { $0.append(unsigned: 2); $0.append(unsigned: [0, 0, 0, 1 << 32, 0, 0]) })
            == "snap: corrupt data: domain 4294967296 of trace 1 exceeds UInt32")
}

@Test func malformedDataIsNamedByPart() {
    #expect(decodeError(binaryFile { data in
        data.append(signed: 1); data.append(unsigned: [1, 2]); data.append(contentsOf: [0xC3, 0x28])
    })
            == "snap: corrupt data: string 0 is not UTF-8")
    #expect(decodeError(binaryFile { $0.append(contentsOf: [UInt8](repeating: 0xFF, count: 10) + [0x01]) })
            == "snap: corrupt data: integer longer than 64 bits in the traceback limit")
    #expect(decodeError(oneTraceback { $0.append(unsigned: 1); $0.append(unsigned: 0) })
            == "snap: corrupt data: 1 traces in the trace table cannot fit in the 1 byte left")
    #expect(decodeError(oneTraceback { $0.append(unsigned: 1); $0.append(contentsOf: [0, 0x80, 0x80]) })
            == "snap: corrupt data: expected 1 more byte for trace 0")
    #expect(decodeError(tracesOnly { $0.append(unsigned: 0); $0.append(unsigned: 7) })
            == "snap: corrupt data: 1 byte left after the last trace")
    #expect(decodeError(binaryFile { data in
        data.append(signed: 1); data.append(unsigned: 0); data.append(unsigned: 0)
        data.append(unsigned: 1); data.append(unsigned: 0); data.append(unsigned: 2)
    }) == "snap: corrupt data: bad totalNframe tag 2 in traceback 0")
}

@Test func invalidJSONNamesLineColumnAndKeyPath() {
    let head = #"{"format": "swift-tracemalloc-snapshot", "version": 1, "traceback_limit": 1, "traces": ["#
    func trace(_ text: String) -> String? { decodeError(head + "\n" + text + "]}") }
    #expect(trace(#"{"domain": 0, "size": -5, "frames": []}"#)
            == "snap: invalid JSON at line 2, column 23 (traces[0].size): negative size -5")
    #expect(trace(#"{"domain": -1, "size": 5, "frames": []}"#)
            == "snap: invalid JSON at line 2, column 12 (traces[0].domain): domain -1 is outside 0...4294967295")
    #expect(trace(#"{"domain": 0, "size": 1.5, "frames": []}"#)
            == "snap: invalid JSON at line 2, column 23 (traces[0].size): "
                + "expected an integer, found a fraction or exponent")
    #expect(trace(#"{"domain": 0, "size": 99999999999999999999, "frames": []}"#)
            == "snap: invalid JSON at line 2, column 23 (traces[0].size): integer out of range")
    #expect(trace(#"{"domain": 0, "frames": []}"#)
            == #"snap: invalid JSON at line 2, column 1 (traces[0]): a trace without "size""#)
    #expect(trace(#"{"domain": 0, "size": 1, "frames": [{"filename": "a"}]}"#)
            == #"snap: invalid JSON at line 2, column 37 (traces[0].frames[0]): a frame without "lineno""#)
    #expect(trace(#"{"domain": 0, "size": 1, "frames": [{"filename": 7, "lineno": 1}]}"#)
            == "snap: invalid JSON at line 2, column 50 (traces[0].frames[0].filename): expected a string")
    #expect(trace(#"{"domain": 0, "size": 1 "frames": []}"#)
            == "snap: invalid JSON at line 2, column 25 (traces[0]): expected ',' or '}' in an object")
    #expect(decodeError(head + "]}, 1")
            == "snap: invalid JSON at line 1, column 91: unexpected data after the end of the document")
    #expect(decodeError(#"{"format": "swift-tracemalloc-snapshot", "version": 1, "traces": []}"#)
            == #"snap: no "traceback_limit" key"#)
    #expect(decodeError(#"{"format": "swift-tracemalloc-snapshot", "version": 1, "traceback_limit": 1}"#)
            == #"snap: no "traces" key"#)
}

@Test func deeplyNestedJSONIsRefusedNotFollowedDownTheStack() {
    let deep = #"{"format": "swift-tracemalloc-snapshot", "x": "# + String(repeating: "[", count: 1_000_000)
    let message = decodeError(deep)
    #expect(message?.hasPrefix("snap: invalid JSON at line 1, column 111 (x[0][0]") == true)
    #expect(message?.hasSuffix("[0]): nesting deeper than 64 levels") == true)
}
