import Glibc
import Testing
@testable import TraceMalloc

// The module functions, on real allocations. Tracing is process-wide: these tests need
// `swift test --no-parallel`. Exact byte counts are read on one thread with nothing allocating
// in between (no #expect until the numbers are read).

/// An instance is a 16-byte header (metadata pointer, reference counts) and five Ints: malloc
/// is asked for 56 bytes.
private final class FiveInts {
    var a = 0, b = 0, c = 0, d = 0, e = 0
}

private let fiveIntsMallocSize = 56

/// Runs `body` while tracing with `nframe`, from a stopped state, and stops after.
private func whileTracing<Result>(nframe: Int = 1, _ body: () throws -> Result) throws -> Result {
    TraceMalloc.stop()
    try TraceMalloc.start(nframe: nframe)
    defer { TraceMalloc.stop() }
    return try body()
}

private func location(_ frame: Frame?) -> String {
    frame.map { "\($0.filename):\($0.lineno)" } ?? "nil"
}

@Test func thousandInstancesAreCountedAtTheLineThatCreatedThem() throws {
    var objects: [FiveInts] = []
    objects.reserveCapacity(1000)
    let line = #line + 3
    let top = try whileTracing {
        for _ in 0..<1000 {
            objects.append(FiveInts())
        }
        return try TraceMalloc.takeSnapshot().statistics(.lineno)[0]
    }

    #expect(location(top.traceback.last) == "\(#filePath):\(line)")
    #expect(top.count == 1000)
    #expect(top.size == 1000 * fiveIntsMallocSize)
    withExtendedLifetime(objects) {}
}

@Test func mallocFromSwiftAddsExactlyItsSizeAndFreeTakesItBack() throws {
    let (before, during, after) = try whileTracing {
        let before = TraceMalloc.tracedMemory()
        let block = malloc(1000)
        keepAlive(block)
        let during = TraceMalloc.tracedMemory()
        free(block)
        return (before, during, TraceMalloc.tracedMemory())
    }

    #expect(during.current - before.current == 1000)
    #expect(after.current == before.current)
}

@Test func peakRisesOnAllocationAndResetPeakBringsItToCurrent() throws {
    let readings = try whileTracing {
        TraceMalloc.clearTraces()
        let big = malloc(4000)
        let small = malloc(1000)
        keepAlive(big)
        keepAlive(small)
        let bothLive = TraceMalloc.tracedMemory()
        free(big)
        let afterFree = TraceMalloc.tracedMemory()
        TraceMalloc.resetPeak()
        let afterReset = TraceMalloc.tracedMemory()
        free(small)
        let afterSecondFree = TraceMalloc.tracedMemory()
        return [bothLive, afterFree, afterReset, afterSecondFree]
    }

    #expect(readings.map(\.current) == [5000, 1000, 1000, 0])
    #expect(readings.map(\.peak) == [5000, 5000, 1000, 1000])
}

@Test func stopClearsTracesAndCountersButKeepsTheLimit() throws {
    TraceMalloc.stop()
    try TraceMalloc.start(nframe: 5)
    try TraceMalloc.start(nframe: 10)
    let limitWhileTracing = TraceMalloc.tracebackLimit
    let block = malloc(300)
    TraceMalloc.stop()
    let afterStop = TraceMalloc.tracedMemory()
    try TraceMalloc.start()
    let tracedAfterRestart = TraceMalloc.traceback(ofBlock: block!)
    TraceMalloc.stop()
    free(block)

    #expect(limitWhileTracing == 5)
    #expect(afterStop == (0, 0))
    #expect(tracedAfterRestart == nil, "stop() forgot the block")
    #expect(TraceMalloc.tracebackLimit == 1)
    #expect(!TraceMalloc.isTracing)
}

@Test func invalidFrameLimitsThrowCPythonsMessageEvenWhileTracing() throws {
    TraceMalloc.stop()
    for nframe in [0, -1, 65536] {
        #expect(throws: TraceMallocError.invalidFrameLimit) { try TraceMalloc.start(nframe: nframe) }
    }
    #expect(!TraceMalloc.isTracing)
    try whileTracing(nframe: 3) {
        #expect(throws: TraceMallocError.invalidFrameLimit) { try TraceMalloc.start(nframe: 0) }
        #expect(TraceMalloc.tracebackLimit == 3)
    }
    #expect(TraceMallocError.invalidFrameLimit.description == "the number of frames must be in range [1; 65535]")
}

@Test func takeSnapshotWhileStoppedThrowsCPythonsMessage() {
    TraceMalloc.stop()
    #expect(throws: TraceMallocError.notTracing) { try TraceMalloc.takeSnapshot() }
    #expect(TraceMallocError.notTracing.description
        == "the tracemalloc module must be tracing memory allocations to take a snapshot")
}

@Test func countersAreZeroAndClearTracesDoesNothingWhenNotTracing() {
    TraceMalloc.stop()
    TraceMalloc.clearTraces()
    TraceMalloc.resetPeak()
    #expect(TraceMalloc.tracedMemory() == (0, 0))
    #expect(!TraceMalloc.isTracing)
}

@Test func clearTracesForgetsEveryBlockAndZeroesTheCounters() throws {
    let (traced, afterClear, blockAfterClear) = try whileTracing {
        let block = malloc(2000)
        let traced = TraceMalloc.traceback(ofBlock: block!) != nil
        TraceMalloc.clearTraces()
        let afterClear = TraceMalloc.tracedMemory()
        let blockAfterClear = TraceMalloc.traceback(ofBlock: block!)
        free(block)
        return (traced, afterClear, blockAfterClear)
    }

    #expect(traced)
    #expect(afterClear == (0, 0))
    #expect(blockAfterClear == nil)
}

@Test func strdupIsAttributedToTheSwiftLineThatCalledIt() throws {
    let line = #line + 2
    let traceback = try whileTracing { () -> Traceback? in
        let text = strdup("tracemalloc")
        defer { free(text) }
        return TraceMalloc.traceback(ofBlock: text!)
    }

    #expect(location(traceback?.last) == "\(#filePath):\(line)")
}

@Test func arrayRepeatingCountIsAttributedToTheSwiftLineThatCreatedIt() throws {
    var numbers: [Int] = []
    let line = #line + 2
    let statistics = try whileTracing {
        numbers = [Int](repeating: 7, count: 100)
        return try TraceMalloc.takeSnapshot().statistics(.lineno)
    }

    let atLine = statistics.first { location($0.traceback.last) == "\(#filePath):\(line)" }
    #expect(atLine?.count == 1)
    // The array's storage: a 32-byte header (object header, count, capacity) and 100 Ints.
    #expect(atLine?.size == 32 + 100 * 8)
    withExtendedLifetime(numbers) {}
}

@Test func objectTracebackNamesTheLineThatCreatedTheObject() throws {
    let untracedObject = FiveInts()
    let line = #line + 2
    let (object, traceback, untraced) = try whileTracing {
        let object = FiveInts()
        return (object, TraceMalloc.objectTraceback(object), TraceMalloc.objectTraceback(untracedObject))
    }

    #expect(location(traceback?.last) == "\(#filePath):\(line)")
    #expect(traceback?.totalNframe == nil)
    #expect(untraced == nil)
    #expect(TraceMalloc.objectTraceback(object) == nil, "not tracing")
}

@inline(never)
private func tracebackOfANewObject(nframe: Int) throws -> (traceback: Traceback?, line: Int) {
    try whileTracing(nframe: nframe) {
        let line = #line + 1
        let object = FiveInts()
        return (TraceMalloc.objectTraceback(object), line)
    }
}

@Test func tracebacksKeepUpToNframeFramesOfTheCallersCode() throws {
    let one = try tracebackOfANewObject(nframe: 1)
    let three = try tracebackOfANewObject(nframe: 3)

    #expect(one.traceback?.count == 1)
    #expect(location(one.traceback?.last) == "\(#filePath):\(one.line)")
    #expect(three.traceback?.count == 3)
    #expect(three.traceback?.last == one.traceback?.last)
}

@Test func takeSnapshotKeepingRuntimeFramesShowsTheAllocatorAtTheTop() throws {
    let (kept, dropped) = try whileTracing {
        let block = malloc(12345)
        keepAlive(block)
        defer { free(block) }
        let kept = try TraceMalloc.takeSnapshot(keepingRuntimeFrames: true).traces.first { $0.size == 12345 }
        let dropped = try TraceMalloc.takeSnapshot().traces.first { $0.size == 12345 }
        return (kept, dropped)
    }

    #expect(dropped?.traceback.last?.filename == #filePath)
    #expect((kept?.traceback.count ?? 0) > (dropped?.traceback.count ?? 0))
}

/// Tracks `address` in `domain` again: its trace must then name this function's line.
@inline(never)
private func trackAgain(domain: UInt32, address: UInt, size: Int) throws -> Int {
    let line = #line + 1
    try TraceMalloc.track(domain: domain, address: address, size: size)
    return line
}

@Test func trackAndUntrackFollowCPythonsDomainRules() throws {
    TraceMalloc.stop()
    #expect(throws: TraceMallocError.trackWhileNotTracing) {
        try TraceMalloc.track(domain: 5, address: 0x1000, size: 100)
    }
    #expect(throws: TraceMallocError.trackWhileNotTracing) { try TraceMalloc.untrack(domain: 5, address: 0x1000) }

    try whileTracing {
        let start = TraceMalloc.tracedMemory().current
        let line = #line + 1
        try TraceMalloc.track(domain: 5, address: 0x1000, size: 100)
        let afterTrack = TraceMalloc.tracedMemory().current
        let againLine = try trackAgain(domain: 5, address: 0x1000, size: 40)
        let afterReplace = TraceMalloc.tracedMemory().current
        try TraceMalloc.track(domain: 6, address: 0x1000, size: 7)
        let afterOtherDomain = TraceMalloc.tracedMemory().current
        try TraceMalloc.untrack(domain: 5, address: 0x1000)
        try TraceMalloc.untrack(domain: 5, address: 0x2000)
        try TraceMalloc.untrack(domain: 99, address: 0x1000)
        let afterUntrack = TraceMalloc.tracedMemory().current

        #expect(afterTrack - start == 100)
        #expect(afterReplace - start == 40)
        #expect(afterOtherDomain - start == 47)
        #expect(afterUntrack - start == 7)
        #expect(TraceMalloc.traceback(ofBlock: UnsafeRawPointer(bitPattern: 0x1000)!, domain: 5) == nil)
        #expect(TraceMalloc.traceback(ofBlock: UnsafeRawPointer(bitPattern: 0x1000)!, domain: 0) == nil)
        let other = TraceMalloc.traceback(ofBlock: UnsafeRawPointer(bitPattern: 0x1000)!, domain: 6)
        #expect(location(other?.last) == "\(#filePath):\(line + 4)")

        try TraceMalloc.track(domain: 5, address: 0x1000, size: 100)
        let replacedLine = try trackAgain(domain: 5, address: 0x1000, size: 40)
        let domainFive = try TraceMalloc.takeSnapshot().traces.filter { $0.domain == 5 }
        #expect(domainFive.map(\.size) == [40])
        #expect(location(domainFive.first?.traceback.last) == "\(#filePath):\(replacedLine)")
        #expect(replacedLine == againLine)
    }
}

@Test func tracemallocMemoryCountsTheTablesWhileTracing() throws {
    let (whileTracing, withBlocks) = try whileTracing {
        let before = TraceMalloc.tracemallocMemory()
        let blocks = (0..<10_000).map { _ in malloc(16) }
        let after = TraceMalloc.tracemallocMemory()
        blocks.forEach { free($0) }
        return (before, after)
    }

    #expect(whileTracing > 0)
    #expect(withBlocks > whileTracing)
}
