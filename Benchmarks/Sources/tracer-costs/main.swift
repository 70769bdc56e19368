import Foundation
import TraceMalloc
import Workloads

// The costs of tracing that are not a slowdown: tracer memory per live block, snapshot,
// statistics, dump, load and symbolising times. Each command prints `key=value` pairs on one
// line of stdout for the bench driver.

let usage = """
    usage: tracer-costs live-blocks NFRAME DUMPFILE   1,000,000 live 32-byte blocks from 1,000 call sites
           tracer-costs load FILE                     Snapshot.load of a dump
           tracer-costs symbolize                     takeSnapshot() of 10,000 unique call sites

    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("live-blocks", 3):
        guard let nframe = Int(arguments[1]) else { break }
        try measureLiveBlocks(nframe: nframe, dumpPath: arguments[2])
        exit(0)
    case ("load", 2):
        try measureLoad(path: arguments[1])
        exit(0)
    case ("symbolize", 1):
        try measureSymbolizing()
        exit(0)
    default:
        break
    }
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("tracer-costs: \(error)\n".utf8))
    exit(1)
}
