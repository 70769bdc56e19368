import Glibc
import Testing
@testable import TraceMalloc

// Many threads allocating, reallocating and freeing at once: the sharded tables and the
// counters must end exactly where the program's own bookkeeping ends. Needs
// `swift test --no-parallel`.

private let threadCount = 4
private let operationsPerThread = 100_000
private let slotCount = 512

/// One thread's state, allocated before tracing starts so that none of it is traced: the
/// traced memory is then exactly the blocks the workers hold.
private struct Worker {
    var random: UInt64
    var barrier: UnsafeMutablePointer<pthread_barrier_t>
    var blocks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    var sizes: UnsafeMutablePointer<Int>
    var mallocLine = 0
    var reallocLine = 0
}

/// xorshift64*: deterministic, and it allocates nothing.
private func nextRandom(_ state: inout UInt64) -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
}

private func work(_ worker: UnsafeMutablePointer<Worker>) {
    pthread_barrier_wait(worker.pointee.barrier)
    for _ in 0..<operationsPerThread {
        let random = nextRandom(&worker.pointee.random)
        let slot = Int(random % UInt64(slotCount))
        let size = Int((random >> 20) % 2048)
        if let block = worker.pointee.blocks[slot] {
            if random & (1 << 40) == 0 {
                free(block)
                worker.pointee.blocks[slot] = nil
            } else {
                worker.pointee.reallocLine = #line + 1
                worker.pointee.blocks[slot] = realloc(block, size + 1)  // + 1: realloc(p, 0) frees
                worker.pointee.sizes[slot] = size + 1
            }
        } else {
            worker.pointee.mallocLine = #line + 1
            worker.pointee.blocks[slot] = malloc(size)
            worker.pointee.sizes[slot] = size
        }
    }
}

@Test func fourThreadsOfRandomMallocReallocFreeLeaveExactlyTheLiveBlocksTraced() throws {
    TraceMalloc.stop()
    let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)
    pthread_barrier_init(barrier, nil, UInt32(threadCount + 1))
    let workers = UnsafeMutablePointer<Worker>.allocate(capacity: threadCount)
    for index in 0..<threadCount {
        let blocks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: slotCount)
        blocks.initialize(repeating: nil, count: slotCount)
        let sizes = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
        sizes.initialize(repeating: 0, count: slotCount)
        (workers + index).initialize(to: Worker(
            random: 0x9E37_79B9_7F4A_7C15 &* UInt64(index + 1), barrier: barrier, blocks: blocks, sizes: sizes))
    }
    let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: threadCount)
    try TraceMalloc.start(nframe: 1)
    defer { TraceMalloc.stop() }

    for index in 0..<threadCount {
        pthread_create(threads + index, nil, { worker in
            work(worker!.assumingMemoryBound(to: Worker.self))
            return nil
        }, workers + index)
    }
    TraceMalloc.clearTraces()  // what creating the threads allocated
    pthread_barrier_wait(barrier)
    for index in 0..<threadCount {
        pthread_join(threads[index], nil)
    }
    let current = TraceMalloc.tracedMemory().current
    let snapshot = try TraceMalloc.takeSnapshot()

    var liveSizes: [Int] = []
    for index in 0..<threadCount {
        let worker = workers[index]
        for slot in 0..<slotCount where worker.blocks[slot] != nil {
            liveSizes.append(worker.sizes[slot])
        }
    }
    let workerLines = [workers[0].mallocLine, workers[0].reallocLine]
    let workerTraces = snapshot.traces.filter {
        $0.traceback.last?.filename == #filePath && workerLines.contains($0.traceback.last?.lineno ?? 0)
    }
    #expect(liveSizes.count > 1000)
    #expect(current == liveSizes.reduce(0, +))
    #expect(workerTraces.map(\.size).sorted() == liveSizes.sorted())
    #expect(snapshot.traces.count == liveSizes.count, "nothing else was traced")
    #expect(snapshot.traces.map(\.size).reduce(0, +) == current)

    for index in 0..<threadCount {
        for slot in 0..<slotCount {
            free(workers[index].blocks[slot])
        }
        workers[index].blocks.deallocate()
        workers[index].sizes.deallocate()
    }
    workers.deallocate()
    threads.deallocate()
    pthread_barrier_destroy(barrier)
    barrier.deallocate()
}
