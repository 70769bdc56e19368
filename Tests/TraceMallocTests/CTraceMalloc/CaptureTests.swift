import Glibc
import Testing
@testable import TraceMalloc

// Stack capture through code without frame pointers (glibc, a dlopen'd C library, a glibc
// callback) and deep stacks. Needs `swift test --no-parallel`.

private func whileTracing<Result>(nframe: Int, _ body: () throws -> Result) throws -> Result {
    TraceMalloc.stop()
    try TraceMalloc.start(nframe: nframe)
    defer { TraceMalloc.stop() }
    return try body()
}

private func locations(_ traceback: Traceback?) -> [String] {
    traceback?.map { "\($0.filename):\($0.lineno)" } ?? []
}

private func here(_ line: Int) -> String {
    "\(#filePath):\(line)"
}

@Test func fopenAndGetlineAreAttributedToTheSwiftLinesThatCalledThem() throws {
    try whileTracing(nframe: 1) {
        let openLine = #line + 1
        let opened = fopen("/proc/self/status", "r")
        let file = try #require(opened)
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        let getlineLine = #line + 1
        let length = getline(&line, &capacity, file)
        defer { free(line) }

        #expect(length > 0)
        #expect(locations(TraceMalloc.traceback(ofBlock: file)) == [here(openLine)])
        #expect(locations(TraceMalloc.traceback(ofBlock: try #require(line))) == [here(getlineLine)])
    }
}

/// Blocks the comparator allocated, so that they stay alive to be looked up.
nonisolated(unsafe) private var comparatorBlocks: [UnsafeMutableRawPointer] = []
nonisolated(unsafe) private var comparatorLine = 0

@Test func allocationInAQsortCallbackReachesTheCallerOfQsort() throws {
    var numbers: [Int32] = [3, 1, 2]
    comparatorBlocks.reserveCapacity(16)
    let qsortLine = #line + 3
    let traceback = try whileTracing(nframe: 10) { () -> Traceback? in
        numbers.withUnsafeMutableBytes { buffer in
            qsort(buffer.baseAddress!, 3, 4) { lhs, rhs in
                comparatorLine = #line + 1
                comparatorBlocks.append(malloc(48)!)
                let (a, b) = (lhs!.load(as: Int32.self), rhs!.load(as: Int32.self))
                return a < b ? -1 : a == b ? 0 : 1
            }
        }
        return TraceMalloc.traceback(ofBlock: comparatorBlocks[0])
    }
    comparatorBlocks.forEach { free($0) }
    comparatorBlocks.removeAll()

    let frames = locations(traceback)
    #expect(numbers == [1, 2, 3])
    #expect(frames.last == here(comparatorLine))
    #expect(frames.contains(here(qsortLine)), "qsort's own frames keep no frame pointers: \(frames)")
}

@Test func allocationInADlopenedLibraryWithoutFramePointersReachesTheSwiftCaller() throws {
    let zlib = try #require(dlopen("libz.so.1", RTLD_NOW))
    defer { dlclose(zlib) }
    typealias GzDopen = @convention(c) (Int32, UnsafePointer<CChar>) -> OpaquePointer?
    typealias GzClose = @convention(c) (OpaquePointer?) -> Int32
    let gzdopen = unsafeBitCast(try #require(dlsym(zlib, "gzdopen")), to: GzDopen.self)
    let gzclose = unsafeBitCast(try #require(dlsym(zlib, "gzclose")), to: GzClose.self)
    let descriptor = open("/dev/null", O_WRONLY)

    let line = #line + 2
    let traceback = try whileTracing(nframe: 6) { () -> Traceback? in
        let stream = gzdopen(descriptor, "wb")  // gz_open mallocs the state it returns
        defer { _ = gzclose(stream) }
        return TraceMalloc.traceback(ofBlock: UnsafeRawPointer(try #require(stream)))
    }

    let frames = locations(traceback)
    #expect(frames.contains(here(line)), "\(frames)")
    #expect(traceback?.last?.image?.contains("libz") == true, "the most recent frame is zlib's")
}

@inline(never)
private func allocate(depth: Int) -> UnsafeMutableRawPointer? {
    guard depth > 0 else {
        return malloc(24)
    }
    let block = allocate(depth: depth - 1)
    keepAlive(block)  // and no tail call: every level keeps its frame
    return block
}

@Test func deepStacksKeepNframeFramesAndCountTheRest() throws {
    let (traceback, tracedAtDepth) = try whileTracing(nframe: 5) { () -> (Traceback?, Traceback?) in
        let block = allocate(depth: 100)
        defer { free(block) }
        let snapshot = try TraceMalloc.takeSnapshot()
        let traced = snapshot.traces.first { $0.size == 24 && $0.traceback.last?.function?.contains("allocate") == true }
        return (TraceMalloc.traceback(ofBlock: block!), traced?.traceback)
    }

    #expect(traceback?.count == 5)
    #expect(traceback?.totalNframe == nil, "as Python's get_object_traceback")
    #expect(tracedAtDepth?.count == 5)
    #expect((tracedAtDepth?.totalNframe ?? 0) > 100)
}

@Test func allocationOnANewThreadNamesItsLine() throws {
    final class Result: @unchecked Sendable {
        var block: UnsafeMutableRawPointer?
        var line = 0
    }
    let result = Result()
    let traceback = try whileTracing(nframe: 1) { () -> Traceback? in
        var thread = pthread_t()
        pthread_create(&thread, nil, { argument in
            let result = Unmanaged<Result>.fromOpaque(argument!).takeUnretainedValue()
            result.line = #line + 1
            result.block = malloc(40)
            return nil
        }, Unmanaged.passUnretained(result).toOpaque())
        pthread_join(thread, nil)
        return TraceMalloc.traceback(ofBlock: result.block!)
    }
    free(result.block)

    #expect(locations(traceback) == [here(result.line)])
    #expect(traceback?.totalNframe == nil)
}
