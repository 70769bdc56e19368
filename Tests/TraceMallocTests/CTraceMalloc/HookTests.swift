import CTraceMalloc
import Glibc
import Synchronization
import Testing
@testable import TraceMalloc

// Each function of the malloc family, called directly, against SPEC 7.8: what it adds to the
// traced memory and which line its trace names. Needs `swift test --no-parallel`.

/// Where `keepAlive` puts pointers: a global the optimiser must assume is read.
private let escapedPointer = Atomic<Int>(0)

/// Makes `pointer` escape, so that a release build cannot delete a malloc whose result is only
/// freed (LLVM removes such pairs).
@inline(never)
func keepAlive(_ pointer: UnsafeMutableRawPointer?) {
    escapedPointer.store(Int(bitPattern: pointer), ordering: .relaxed)
}

/// Runs `body` while tracing with one frame, from a stopped state, and stops after.
private func whileTracing<Result>(_ body: () throws -> Result) throws -> Result {
    TraceMalloc.stop()
    try TraceMalloc.start(nframe: 1)
    defer { TraceMalloc.stop() }
    return try body()
}

private func current() -> Int {
    TraceMalloc.tracedMemory().current
}

private func tracedLine(of block: UnsafeMutableRawPointer?) -> String {
    guard let block, let frame = TraceMalloc.traceback(ofBlock: block)?.last else {
        return "untraced"
    }
    return "\(frame.filename):\(frame.lineno)"
}

private func here(_ line: Int) -> String {
    "\(#filePath):\(line)"
}

/// A function of the process's global scope (the tracer's hook): for the ones the Glibc module
/// does not declare.
private func globalFunction<Function>(_ name: String, as type: Function.Type) throws -> Function {
    let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), name))
    return unsafeBitCast(symbol, to: type)
}

@Test func reallocThatMovesTracesTheNewAddressWithTheReallocLine() throws {
    try whileTracing {
        let old = malloc(16)
        let before = current()
        let line = #line + 1
        let moved = realloc(old, 1 << 20)  // too big for the block's chunk: glibc moves it
        let after = current()
        let movedLine = tracedLine(of: moved)
        let beforeFree = current()
        free(moved)
        let afterFree = current()

        #expect(moved != old)
        #expect(after - before == (1 << 20) - 16)
        #expect(movedLine == here(line))
        #expect(beforeFree - afterFree == 1 << 20)
    }
}

@Test func reallocInPlaceReplacesTheSizeAndTraceback() throws {
    try whileTracing {
        let block = malloc(4000)
        let before = current()
        let line = #line + 1
        let shrunk = realloc(block, 100)
        let after = current()

        #expect(shrunk == block)
        #expect(before - after == 3900)
        #expect(tracedLine(of: shrunk) == here(line))
        free(shrunk)
    }
}

@Test func failedReallocChangesNothing() throws {
    try whileTracing {
        let line = #line + 1
        let block = malloc(64)
        let before = current()
        errno = 0
        // 512 GiB: more than this machine's memory, so glibc refuses it; 32 TiB: more than a
        // trace can record, so the tracer refuses it. Either way the block stays as it was.
        let refusedByGlibc = realloc(block, 1 << 39)
        let glibcErrno = errno
        let refusedByTracer = realloc(block, 1 << 45)
        let tracerErrno = errno
        let after = current()

        #expect(refusedByGlibc == nil && glibcErrno == ENOMEM)
        #expect(refusedByTracer == nil && tracerErrno == ENOMEM)
        #expect(after == before)
        #expect(tracedLine(of: block) == here(line))
        free(block)
    }
}

@Test func reallocOfNullAllocatesAndReallocToZeroFrees() throws {
    try whileTracing {
        let before = current()
        let line = #line + 1
        let block = realloc(nil, 300)
        let allocated = current()
        let blockLine = tracedLine(of: block)
        let beforeFree = current()
        let freed = realloc(block, 0)
        let afterFree = current()

        #expect(allocated - before == 300)
        #expect(blockLine == here(line))
        #expect(freed == nil)
        #expect(beforeFree - afterFree == 300)
    }
}

@Test func callocTracesCountTimesSizeAndItsOverflowReturnsNull() throws {
    try whileTracing {
        let before = current()
        let line = #line + 1
        let block = calloc(25, 40)
        let allocated = current()
        let overflow = calloc(Int.max, 2)
        let afterOverflow = current()

        #expect(allocated - before == 1000)
        #expect(tracedLine(of: block) == here(line))
        #expect(overflow == nil)
        #expect(afterOverflow == allocated)
        free(block)
    }
}

@Test func freeOfNullOrOfAnUntracedBlockChangesNothing() throws {
    TraceMalloc.stop()
    let untraced = malloc(500)
    try whileTracing {
        let before = current()
        free(nil)
        free(untraced)
        #expect(current() == before)
    }
}

@Test func mallocOfZeroBytesIsATraceOfSizeZero() throws {
    try whileTracing {
        let line = #line + 1
        let block = malloc(0)
        keepAlive(block)
        let traced = try TraceMalloc.takeSnapshot().traces.filter { $0.traceback.last?.lineno == line }

        #expect(traced.map(\.size) == [0])
        free(block)
    }
}

@Test func alignedAllocatorsTraceTheirSizeAndKeepGlibcsErrors() throws {
    let memalign = try globalFunction("memalign", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self)
    let pvalloc = try globalFunction("pvalloc", as: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self)
    let page = Int(getpagesize())
    try whileTracing {
        var block: UnsafeMutableRawPointer?
        let misaligned = posix_memalign(&block, 3, 10)
        let start = current()
        let posixLine = #line + 1
        let posixResult = posix_memalign(&block, 64, 10)
        let alignedLine = #line + 1
        let aligned = aligned_alloc(64, 128)
        let memalignLine = #line + 1
        let memaligned = memalign(4096, 20)
        let vallocLine = #line + 1
        let paged = valloc(30)
        let pvallocLine = #line + 1
        let wholePages = pvalloc(40)
        let total = current() - start
        let lines = [block, aligned, memaligned, paged, wholePages].map(tracedLine(of:))
        let beforeFree = current()
        free(block)
        free(aligned)
        free(memaligned)
        free(paged)
        free(wholePages)
        let freed = beforeFree - current()

        #expect(misaligned == EINVAL)
        #expect(posixResult == 0)
        #expect(total == 10 + 128 + 20 + 30 + page)
        #expect(Int(bitPattern: block) % 64 == 0 && Int(bitPattern: aligned) % 64 == 0)
        #expect(Int(bitPattern: memaligned) % 4096 == 0 && Int(bitPattern: paged) % page == 0)
        #expect(lines == [posixLine, alignedLine, memalignLine, vallocLine, pvallocLine].map(here))
        #expect(freed == total)
    }
}

@Test func reallocarrayTracesTheProductAndItsOverflowFailsWithENOMEM() throws {
    try whileTracing {
        let before = current()
        let line = #line + 1
        let block = reallocarray(nil, 10, 8)
        let allocated = current()
        errno = 0
        let overflow = reallocarray(block, Int.max, 2)
        let overflowErrno = errno

        #expect(allocated - before == 80)
        #expect(tracedLine(of: block) == here(line))
        #expect(overflow == nil)
        #expect(overflowErrno == ENOMEM)
        #expect(current() == allocated, "the block is left alone")
        free(block)
    }
}

@Test func mallocUsableSizeForwardsToGlibc() throws {
    let usableSize = try globalFunction("malloc_usable_size", as: (@convention(c) (UnsafeMutableRawPointer?) -> Int).self)
    let block = malloc(100)
    #expect(usableSize(block) >= 100)
    #expect(usableSize(block) < 200)
    free(block)
}

@Test func allocationsWhileStoppedAreNotTraced() throws {
    TraceMalloc.stop()
    let block = malloc(100)
    try TraceMalloc.start()
    #expect(TraceMalloc.traceback(ofBlock: block!) == nil)
    TraceMalloc.stop()
    free(block)
}

@Test func everyListedHookIsTheProcesssFunctionOfThatName() throws {
    // The image that holds the tracer, from the core's own list.
    let tracerAddress = UInt(bitPattern: unsafeBitCast(tm_start as @convention(c) (Int32) -> Int32, to: UnsafeRawPointer.self))
    let tracer = try #require(Image.loadedInCurrentProcess().first { $0.contains(tracerAddress) })

    var names: [String] = []
    while let name = tm_hook_name(names.count) {
        names.append(String(cString: name))
    }
    #expect(names.contains("malloc") && names.contains("malloc_usable_size") && names.count == 11)
    for name in names {
        let address = UInt(bitPattern: try #require(dlsym(dlopen(nil, RTLD_NOW), name), "\(name)"))
        #expect(tracer.contains(address), "\(name) is not the tracer's")
    }
}
