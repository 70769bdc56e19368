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

/// `snapshot`'s tracebacks, each as a trace of its own, so that `firstDifference` compares every
/// field of each.
private func tracebacksAsTraces(_ snapshot: Snapshot) -> Snapshot {
    makeSnapshot(snapshot.tracebacks.map { Trace(domain: 0, size: 0, traceback: $0) }, tracebackLimit: snapshot.tracebackLimit)
}

@Test func binaryFileOfAMillionTracesRoundTrips() throws {
    let snapshot = largeSnapshot(traceCount: 1_000_000, tracebackCount: 10_000)
    try withTemporaryDirectory { directory throws in
        let path = directory + "/million.tmsnap"
        try snapshot.dump(to: path)
        let loaded = try Snapshot.load(from: path)

        // The same records and the same tracebacks at each index: the same traces, in order.
        #expect(loaded.records == snapshot.records)
        #expect(firstDifference(tracebacksAsTraces(loaded), tracebacksAsTraces(snapshot)) == nil)
    }
}

@Test func jsonOfTwentyThousandTracesRoundTrips() throws {
    let snapshot = largeSnapshot(traceCount: 20_000, tracebackCount: 2_000)
    let loaded = try Snapshot(data: snapshot.data(format: .json))
    #expect(loaded.records.map(\.size) == snapshot.records.map(\.size))
    #expect(firstDifference(loaded, snapshot) == nil)
}
