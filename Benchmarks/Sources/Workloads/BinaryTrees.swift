import Glibc

/// A tree node: one Swift class instance, so one `swift_allocObject` and one malloc.
private final class Node {
    let left: Node?
    let right: Node?

    init(left: Node?, right: Node?) {
        self.left = left
        self.right = right
    }

    static func make(depth: Int) -> Node {
        depth == 0
            ? Node(left: nil, right: nil)
            : Node(left: make(depth: depth - 1), right: make(depth: depth - 1))
    }

    var check: Int {
        1 + (left?.check ?? 0) + (right?.check ?? 0)
    }
}

/// Workload (b): the Benchmarks Game's binary-trees, a long-lived tree plus many short-lived
/// trees of every even depth from 4 to `depth`.
func binaryTrees(depth: Int) -> UInt64 {
    let maxDepth = max(6, depth)
    var checksum = UInt64(Node.make(depth: maxDepth + 1).check)
    let longLived = Node.make(depth: maxDepth)
    for treeDepth in stride(from: 4, through: maxDepth, by: 2) {
        for _ in 0..<(1 << (maxDepth - treeDepth + 4)) {
            checksum &+= UInt64(Node.make(depth: treeDepth).check)
        }
    }
    return checksum &+ UInt64(longLived.check)
}

/// Workload (e): two threads each run binary-trees at once, for the tracer's locking.
func parallelBinaryTrees(depth: Int) -> UInt64 {
    let jobs = [TreeJob(depth: depth), TreeJob(depth: depth)]
    let threads = jobs.map { job in
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let job = Unmanaged<TreeJob>.fromOpaque(argument!).takeUnretainedValue()
            job.checksum = binaryTrees(depth: job.depth)
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        precondition(status == 0, "pthread_create failed: \(status)")
        return thread
    }
    for thread in threads { pthread_join(thread, nil) }
    return jobs.reduce(0) { $0 &+ $1.checksum }
}

/// One thread's binary-trees: its input, and its result once the thread is joined.
private final class TreeJob {
    let depth: Int
    var checksum: UInt64 = 0

    init(depth: Int) {
        self.depth = depth
    }
}
