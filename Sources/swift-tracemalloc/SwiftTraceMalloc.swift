import ArgumentParser

/// The `swift-tracemalloc` command: trace unmodified programs and read their snapshots.
@main
struct SwiftTraceMalloc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-tracemalloc",
        abstract: "Trace the memory allocations of a program and show where its memory goes."
    )
}
