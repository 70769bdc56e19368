// binary-trees of the Benchmarks Game in Swift, one class instance (one malloc) per node: issue
// 11's program without frame pointers when built `swiftc -O`, outside SwiftPM, and with them
// when built `-Xcc -fno-omit-frame-pointer`. Usage: binary-trees DEPTH.

final class Node {
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

let minDepth = 4
let maxDepth = max(minDepth + 2, CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 10)

print("stretch tree of depth \(maxDepth + 1)\t check: \(Node.make(depth: maxDepth + 1).check)")
let longLived = Node.make(depth: maxDepth)
for depth in stride(from: minDepth, through: maxDepth, by: 2) {
    let iterations = 1 << (maxDepth - depth + minDepth)
    var sum = 0
    for _ in 0..<iterations {
        sum += Node.make(depth: depth).check
    }
    print("\(iterations)\t trees of depth \(depth)\t check: \(sum)")
}
print("long lived tree of depth \(maxDepth)\t check: \(longLived.check)")
