// binary-trees in Swift built outside SwiftPM, as issue 11's program without frame pointers
// (`swiftc -O`) and with them (`-Xcc -fno-omit-frame-pointer`): workload (b)'s code, compiled
// with Sources/Workloads/BinaryTrees.swift (`-parse-as-library`). Usage: binary-trees DEPTH.

@main
enum BinaryTreesProgram {
    static func main() {
        let depth = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 10
        print("binary-trees depth=\(depth) checksum=\(binaryTrees(depth: depth))")
    }
}
