import Foundation
import Testing
@testable import TraceMalloc

/// How decoding damaged bytes ended. Anything else (a crash, a hang, another error type) fails the
/// test run.
private enum Outcome {
    case loaded
    case refused

    init(_ bytes: [UInt8]) {
        do {
            _ = try Snapshot(data: Data(bytes), source: "snap")
            self = .loaded
        } catch let error as TraceMallocError {
            guard case .invalidFile(path: "snap", reason: _) = error else {
                Issue.record("unexpected error \(error)")
                self = .refused
                return
            }
            self = .refused
        } catch {
            Issue.record("not a TraceMallocError: \(error)")
            self = .refused
        }
    }
}

/// `bytes` with 1 to 4 bytes in `range` changed: half the time to a random value, half the time to
/// a byte that means something to a parser.
private func damaged(_ bytes: [UInt8], in range: Range<Int>, using rng: inout SeededGenerator) -> [UInt8] {
    let meaningful = Array("{}[],:\"\\-0123456789.eEntfu ".utf8) + [0x00, 0x01, 0x7F, 0x80, 0xFF]
    var copy = bytes
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let index = Int.random(in: range, using: &rng)
        var value = Bool.random(using: &rng)
            ? UInt8.random(in: 0...255, using: &rng) : meaningful.randomElement(using: &rng)!
        if value == copy[index] { value ^= 0x01 }
        copy[index] = value
    }
    return copy
}

/// Rewrites the header's checksum to match the data, as a corruption that also hit the checksum would.
private func repairingChecksum(_ bytes: [UInt8]) -> [UInt8] {
    var copy = bytes
    let checksum = bytes[24...].withUnsafeBytes { CRC32.checksum($0) }
    withUnsafeBytes(of: checksum.littleEndian) { copy.replaceSubrange(20..<24, with: $0) }
    return copy
}

@Test func binaryTruncatedAtEveryOffsetIsRefused() throws {
    let bytes = try [UInt8](richSnapshot(domains: 40).data())
    for length in 0..<bytes.count {
        #expect(Outcome(Array(bytes.prefix(length))) == .refused, "length \(length)")
    }
    #expect(Outcome(bytes) == .loaded)
}

@Test func binaryWithChangedBytesFailsItsChecksum() throws {
    let bytes = try [UInt8](richSnapshot(domains: 40).data())
    var rng = SeededGenerator(state: 1)
    for copy in 0..<10_000 {
        #expect(Outcome(damaged(bytes, in: 0..<bytes.count, using: &rng)) == .refused, "copy \(copy)")
    }
}

@Test func binaryWithChangedBytesBehindARepairedChecksumLoadsOrIsRefused() throws {
    let bytes = try [UInt8](richSnapshot(domains: 40).data())
    var rng = SeededGenerator(state: 2)
    var outcomes: [Outcome: Int] = [:]
    for _ in 0..<10_000 {
        outcomes[Outcome(repairingChecksum(damaged(bytes, in: 24..<bytes.count, using: &rng))), default: 0] += 1
    }
    // Both happen: a changed size still decodes, a changed count does not.
    #expect(outcomes[.loaded, default: 0] > 100)
    #expect(outcomes[.refused, default: 0] > 100)
}

@Test func binaryOfRandomDataBehindAValidHeaderIsRefusedForManyReasons() {
    var rng = SeededGenerator(state: 3)
    var reasons = Set<String>()
    for _ in 0..<10_000 {
        let data = (0..<Int.random(in: 0...64, using: &rng)).map { _ in
            UInt8.random(in: 0...(Bool.random(using: &rng) ? 3 : 255), using: &rng)
        }
        do {
            _ = try Snapshot(data: Data(binaryFile { $0.append(contentsOf: data) }), source: "snap")
        } catch {
            // The kind of failure, without its numbers.
            reasons.insert(String("\(error)".filter { !$0.isNumber }))
        }
    }
    // Random data reaches every check of the data decoder, and each one holds.
    #expect(reasons.count >= 10, "\(reasons.sorted())")
    #expect(reasons.allSatisfy { $0.hasPrefix("snap: corrupt data: ") })
}

@Test func jsonTruncatedAtEveryOffsetIsRefused() throws {
    let bytes = try [UInt8](richSnapshot(domains: 5).data(format: .json))
    #expect(bytes.last == 0x0A)
    // Dropping only the final newline leaves a whole document.
    for length in 0..<bytes.count - 1 {
        #expect(Outcome(Array(bytes.prefix(length))) == .refused, "length \(length)")
    }
    #expect(Outcome(Array(bytes.dropLast())) == .loaded)
}

@Test func jsonWithChangedBytesLoadsOrIsRefused() throws {
    let bytes = try [UInt8](richSnapshot(domains: 5).data(format: .json))
    var rng = SeededGenerator(state: 4)
    var outcomes: [Outcome: Int] = [:]
    for _ in 0..<10_000 {
        outcomes[Outcome(damaged(bytes, in: 0..<bytes.count, using: &rng)), default: 0] += 1
    }
    #expect(outcomes[.loaded, default: 0] > 100)
    #expect(outcomes[.refused, default: 0] > 100)
}

@Test func truncatedRealFilesAreRefusedByName() throws {
    try withTemporaryDirectory { directory throws in
        for format in SnapshotFormat.allCases {
            let path = directory + "/snap.\(format)"
            try richSnapshot().dump(to: path, format: format)
            let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            for length in [size - 2, size / 2, 30, 1] {
                #expect(truncate(path, off_t(length)) == 0)
                #expect(throws: TraceMallocError.self) { try Snapshot.load(from: path) }
                do {
                    _ = try Snapshot.load(from: path)
                } catch {
                    #expect("\(error)".hasPrefix("\(path): truncated file: "), "\(format) cut to \(length)")
                }
            }
        }
    }
}
