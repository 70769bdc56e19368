import Foundation
import Testing
@testable import TraceMalloc

/// A snapshot the size of a busy server's: `traceCount` traces over `tracebackCount` tracebacks of
/// 5 to 25 frames, drawn from 20,000 frames with functions and images.
private func largeSnapshot(traceCount: Int, tracebackCount: Int) -> Snapshot {
    var rng = SeededGenerator(state: 99)
    let frames = (0..<20_000).map { index in
        Frame(filename: "/src/app/Sources/Module\(index % 40)/File\(index % 2_000).swift", lineno: index % 997 + 1,
              function: "Module\(index % 40).Type\(index % 300).method\(index)(_:label:) -> Swift.Int",
              image: index % 10 == 0 ? "/usr/lib/swift/linux/libswiftCore.so" : "/src/app/.build/release/app")
    }
    let tracebacks = (0..<tracebackCount).map { _ in
        Traceback(frames: (0..<Int.random(in: 5...25, using: &rng)).map { _ in frames.randomElement(using: &rng)! },
                  totalNframe: Int.random(in: 25...80, using: &rng))
    }
    let records = (0..<traceCount).map { _ in
        Snapshot.Record(domain: UInt32.random(in: 0...99, using: &rng) == 0 ? 7 : 0,
                        size: Int.random(in: 0...(1 << Int.random(in: 4...30, using: &rng)), using: &rng),
                        traceback: Int.random(in: 0..<tracebackCount, using: &rng))
    }
    return Snapshot(tracebacks: tracebacks, records: records, tracebackLimit: 25)
}

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

@Test func loadOfAMillionTraceBinaryFileTakesUnderASecondInRelease() throws {
    let snapshot = largeSnapshot(traceCount: 1_000_000, tracebackCount: 10_000)
    try withTemporaryDirectory { directory throws in
        let path = directory + "/million.tmsnap"
        let dumpTime = try seconds { try snapshot.dump(to: path) }
        var loaded: Snapshot?
        let loadTime = try seconds { loaded = try Snapshot.load(from: path) }
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        print("binary, 1,000,000 traces / 10,000 tracebacks: \(size) bytes, dump \(dumpTime) s, load \(loadTime) s")

        let loadedSnapshot = try #require(loaded)
        #expect(loadedSnapshot.records == snapshot.records)
        #expect(loadedSnapshot.tracebacks.count == 10_000)
        #expect(firstDifference(makeSnapshot(Array(loadedSnapshot.traces.prefix(1_000)), tracebackLimit: 25),
                                makeSnapshot(Array(snapshot.traces.prefix(1_000)), tracebackLimit: 25)) == nil)
        #if !DEBUG
        #expect(loadTime < 1)
        #endif
    }
}

@Test func jsonOfTwentyThousandTracesRoundTrips() throws {
    let snapshot = largeSnapshot(traceCount: 20_000, tracebackCount: 2_000)
    var data = Data()
    let encodeTime = try seconds { data = try snapshot.data(format: .json) }
    var loaded: Snapshot?
    let decodeTime = try seconds { loaded = try Snapshot(data: data) }
    print("JSON, 20,000 traces / 2,000 tracebacks: \(data.count) bytes, encode \(encodeTime) s, decode \(decodeTime) s")
    let loadedSnapshot = try #require(loaded)
    #expect(loadedSnapshot.records.map(\.size) == snapshot.records.map(\.size))
    #expect(firstDifference(loadedSnapshot, snapshot) == nil)
}
